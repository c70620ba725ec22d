package io.nightshift.web.cli;

import io.vertx.core.json.JsonObject;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code nodes}: the live nodes of the cluster, with the steps each runs. */
@Command(name = "nodes", description = "The live nodes of the cluster and the steps each runs.")
final class NodeCommands extends Base {
  @Override
  int run() {
    JsonObject page = api().get("/api/v1/nodes");
    out()
        .list(
            page.getJsonArray("items"),
            List.of("NAME", "HOST", "PID", "RUNNING", "STARTED", "STATE"),
            n ->
                List.of(
                    n.getString("name") + (n.getBoolean("self") ? " *" : ""),
                    n.getString("host"),
                    String.valueOf(n.getLong("pid")),
                    String.valueOf(n.getInteger("runningSteps")),
                    n.getString("startedAt"),
                    n.getString("state")));
    return Cli.OK;
  }
}
