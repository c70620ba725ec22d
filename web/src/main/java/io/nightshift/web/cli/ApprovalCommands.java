package io.nightshift.web.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Approvals: the inbox, approve, deny. */
final class ApprovalCommands {
  private ApprovalCommands() {}

  @Command(name = "approvals", description = "Pending approvals (--all: every status).")
  static final class List extends Base {
    @Option(names = "--all")
    boolean all;

    @Override
    int run() {
      JsonObject page = api().get("/api/v1/approvals?limit=200" + (all ? "" : "&status=pending"));
      Output out = out();
      out.list(
          page.getJsonArray("items"),
          java.util.List.of("ID", "RUN", "STEP", "STATUS", "MESSAGE", "EXPIRES"),
          a ->
              java.util.List.of(
                  String.valueOf(a.getValue("id")),
                  String.valueOf(a.getValue("runId")),
                  a.getString("step"),
                  out.status(a.getString("status")),
                  a.getString("message") == null ? "" : a.getString("message"),
                  a.getString("expiresAt") == null ? "-" : a.getString("expiresAt")));
      return Cli.OK;
    }
  }

  static int decide(Base command, long id, boolean approve, String comment) {
    JsonObject body = new JsonObject();
    if (comment != null) {
      body.put("comment", comment);
    }
    JsonObject decided =
        command.api().post("/api/v1/approvals/" + id + (approve ? "/approve" : "/deny"), body);
    Output out = command.out();
    out.answer(
        decided,
        "approval "
            + id
            + " (run "
            + decided.getValue("runId")
            + ", step "
            + decided.getString("step")
            + ") "
            + out.status(decided.getString("status")));
    return Cli.OK;
  }

  @Command(name = "approve", description = "Approve a pending approval.")
  static final class Approve extends Base {
    @Parameters(paramLabel = "ID")
    long id;

    @Option(
        names = {"-m", "--message"},
        description = "A comment.")
    String comment;

    @Override
    int run() {
      return decide(this, id, true, comment);
    }
  }

  @Command(name = "deny", description = "Deny a pending approval; -m says why (required).")
  static final class Deny extends Base {
    @Parameters(paramLabel = "ID")
    long id;

    @Option(
        names = {"-m", "--message"},
        required = true,
        description = "Why (required).")
    String comment;

    @Override
    int run() {
      return decide(this, id, false, comment);
    }
  }
}
