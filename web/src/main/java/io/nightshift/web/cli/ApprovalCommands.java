package io.nightshift.web.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Approvals: the inbox, one in full, approve, deny. */
final class ApprovalCommands {
  private ApprovalCommands() {}

  @Command(
      name = "approvals",
      description = "Pending approvals (--all: every status); show ID: one in full.",
      subcommands = Show.class)
  static final class List extends Base {
    @Option(names = "--all", description = "Every status, not only pending.")
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

  /**
   * {@code approvals show ID}: what it asks, of whom, for which run and values, who may not decide
   * it, until when; how it was decided, or the commands that decide it.
   */
  @Command(name = "show", description = "One approval in full (--json: as the API answers it).")
  static final class Show extends Base {
    @Parameters(paramLabel = "ID")
    long id;

    @Override
    int run() {
      JsonObject a = api().get("/api/v1/approvals/" + id);
      Output out = out();
      if (out.json()) {
        out.json(a);
        return Cli.OK;
      }
      JsonObject run = a.getJsonObject("run", new JsonObject());
      out.line(
          "approval "
              + id
              + "  run "
              + a.getValue("runId")
              + (run.getString("template") == null
                  ? ""
                  : " (" + run.getString("template") + " v" + run.getValue("templateVersion") + ")")
              + "  step "
              + a.getString("step")
              + "  "
              + out.status(a.getString("status")));
      java.util.List<java.util.List<String>> rows = new java.util.ArrayList<>();
      rows.add(field("message", a.getString("message", "approve to go on")));
      rows.add(field("approvers", joined(a.getJsonArray("approvers"))));
      rows.add(
          field("requested", a.getString("requestedAt") + " by " + a.getString("requestedBy")));
      if (a.getString("expiresAt") != null) {
        rows.add(
            field(
                "expires", a.getString("expiresAt") + " (then " + a.getString("onTimeout") + ")"));
      }
      rows.add(
          field(
              "requesters",
              joined(a.getJsonArray("requesters"))
                  + " (asked for the run: may deny it, approve only with auth.allowSelfApproval)"));
      JsonObject params = run.getJsonObject("params", new JsonObject());
      rows.add(
          field(
              "values",
              params.isEmpty()
                  ? "(none)"
                  : String.join(
                      " ", params.stream().map(e -> e.getKey() + "=" + e.getValue()).toList())));
      for (Object weakened : a.getJsonArray("weakenedBy", new JsonArray())) {
        rows.add(field("weakened by", String.valueOf(weakened)));
      }
      if (a.getString("decidedBy") != null) {
        rows.add(
            field(
                "decided",
                a.getString("decidedAt")
                    + " by "
                    + a.getString("decidedBy")
                    + (a.getString("comment") == null ? "" : ": " + a.getString("comment"))));
      } else if ("PENDING".equals(a.getString("status"))) {
        rows.add(field("you", you(a, id)));
      }
      rows.forEach(r -> out.line(out.dim(pad(r.get(0))) + r.get(1)));
      return Cli.OK;
    }

    /** What the caller may do about a pending approval, as the server says. */
    private static String you(JsonObject a, long id) {
      if (a.getBoolean("mayApprove", false)) {
        return "may decide: nightshift approve " + id + " | nightshift deny " + id + " -m WHY";
      }
      if (a.getBoolean("mayDecide", false)) {
        return "may deny (nightshift deny " + id + " -m WHY), not approve: you asked for the run";
      }
      return "may not decide it (not an approver it lists)";
    }

    private static java.util.List<String> field(String name, String value) {
      return java.util.List.of(name, value);
    }

    private static String pad(String name) {
      return name + " ".repeat(Math.max(1, 16 - name.length()));
    }

    private static String joined(JsonArray values) {
      return values == null || values.isEmpty()
          ? "-"
          : String.join(", ", values.stream().map(String::valueOf).toList());
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
