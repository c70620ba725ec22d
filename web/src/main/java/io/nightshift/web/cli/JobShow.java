package io.nightshift.web.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code jobs show NAME}: did the job run? Its schedule and state, its next fires, its cron log
 * (newest first: when each fire was due, what became of it and why) and the attempts to tell its
 * webhooks of fires that started no run.
 */
@Command(
    name = "show",
    description =
        "A job: schedule, next fires, its cron log (newest first) and its webhook deliveries"
            + " (--json: all three as the API answers them).")
final class JobShow extends Base {
  @Parameters(paramLabel = "NAME")
  String name;

  @Option(
      names = "--fires",
      paramLabel = "N",
      description = "How many fires of the cron log (default 10, at most 200).")
  int fires = 10;

  @Override
  int run() {
    if (fires < 1 || fires > 200) {
      throw new CliError("--fires: must be between 1 and 200, got " + fires);
    }
    String path = "/api/v1/jobs/" + Api.encode(name);
    JsonObject job = api().get(path);
    JsonArray log = api().get(path + "/fires?limit=" + fires).getJsonArray("items");
    JsonArray deliveries = deliveries(path);
    Output out = out();
    if (out.json()) {
      out.json(new JsonObject().put("job", job).put("fires", log).put("deliveries", deliveries));
      return Cli.OK;
    }
    out.line(
        "job "
            + name
            + "  "
            + (job.getBoolean("enabled") ? "enabled" : out.status("PAUSED"))
            + "  "
            + JobCommands.schedule(job.getJsonObject("schedule"))
            + "  template "
            + job.getString("template")
            + "  "
            + job.getString("concurrency")
            + ", misfire "
            + job.getString("misfire"));
    JsonArray next = job.getJsonArray("nextFireTimes", new JsonArray());
    out.line(
        out.dim("next fires  ")
            + (next.isEmpty()
                ? "none"
                : String.join(", ", next.stream().map(String::valueOf).toList())));
    out.line("");
    out.list(
        log,
        List.of("SCHEDULED", "OUTCOME", "RUN", "LAG", "NODE", "REASON"),
        f ->
            List.of(
                String.valueOf(
                    JobCommands.inJobZone(
                        text(f, "scheduledAt", "-"), job.getJsonObject("schedule"))),
                outcome(out, text(f, "outcome", "-")),
                text(f, "runId", "-"),
                f.getValue("lagMs") == null ? "-" : f.getValue("lagMs") + " ms",
                text(f, "node", "-"),
                text(f, "reason", "")));
    if (deliveries == null) {
      return Cli.OK; // a node that predates the list
    }
    out.line("");
    out.line(out.dim("webhook deliveries of fire events (newest first):"));
    out.list(
        deliveries,
        List.of("AT", "EVENT", "TRY", "RESULT", "URL"),
        d ->
            List.of(
                String.valueOf(
                    JobCommands.inJobZone(text(d, "at", "-"), job.getJsonObject("schedule"))),
                text(d, "event", "-"),
                text(d, "attempt", "-"),
                d.getValue("statusCode") != null
                    ? "HTTP " + d.getValue("statusCode")
                    : text(d, "error", ""),
                text(d, "url", "-")));
    return Cli.OK;
  }

  /**
   * The newest 10 delivery attempts, or null when the node answers 404 although it has just shown
   * the job: a node of a version that does not list them (during a rolling upgrade).
   */
  private JsonArray deliveries(String path) {
    try {
      return api().get(path + "/deliveries?limit=10").getJsonArray("items");
    } catch (ApiError e) {
      if (e.status() == 404) {
        return null;
      }
      throw e;
    }
  }

  /** A field as text; {@code absent} when it is missing or null. */
  private static String text(JsonObject o, String key, String absent) {
    Object value = o.getValue(key);
    return value == null ? absent : String.valueOf(value);
  }

  private static String outcome(Output out, String outcome) {
    return switch (outcome) {
      case "failed_to_start" -> out.status("FAILED") + " to start";
      case "misfired" -> out.status("MISFIRED");
      default -> outcome;
    };
  }
}
