package io.nightshift.web.cli;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs: start (and follow), list, status, logs, cancel, retry. */
final class RunCommands {
  private static final Set<String> SUCCESS = Set.of("SUCCEEDED");

  /** The phrase of the API's 409 for a run a job's {@code forbid} refuses: the JSON field. */
  private static final String SEND_FORCE = "send \"force\": true";

  private RunCommands() {}

  /**
   * Starts a run (run-now, retry); the API's 409 for an overlap the job forbids keeps its message
   * but points at {@code --force}, the command line's way to send {@code "force": true}.
   */
  static JsonObject forcible(java.util.function.Supplier<JsonObject> start) {
    try {
      return start.get();
    } catch (ApiError e) {
      if (e.status() == 409 && e.getMessage() != null && e.getMessage().contains(SEND_FORCE)) {
        throw new ApiError(409, e.getMessage().replace(SEND_FORCE, "add --force"));
      }
      throw e;
    }
  }

  @Command(name = "run", description = "Start a run of TEMPLATE; --follow waits for its end.")
  static final class Start extends Base {
    @Parameters(index = "0", paramLabel = "TEMPLATE")
    String template;

    @Option(
        names = {"-p", "--param"},
        paramLabel = "NAME=VALUE",
        description = "A parameter value (repeatable).")
    java.util.List<String> params = new ArrayList<>();

    @Option(
        names = "--follow",
        description = "Print the log until the run ends; exit 0 if it succeeded, 1 if not.")
    boolean follow;

    @Option(
        names = "--dry-run",
        description = "Show what would run, with which values; start nothing.")
    boolean dryRun;

    @Option(names = "--template-version", paramLabel = "N", description = "Run this version.")
    Integer version;

    @Mixin StartKey key;

    @Override
    int run() {
      JsonObject body = new JsonObject().put("template", template);
      JsonObject values = ParamValues.of(params);
      body.put("params", values).put("dryRun", dryRun);
      if (version != null) {
        body.put("templateVersion", version);
      }
      JsonObject answer =
          dryRun ? api().post("/api/v1/runs", body) : api().start("/api/v1/runs", body, key.value);
      Output out = out();
      if (dryRun) {
        if (out.json()) {
          out.json(answer);
        } else {
          out.line(
              "dry run of "
                  + answer.getString("template")
                  + " v"
                  + answer.getValue("templateVersion")
                  + " (nothing started)");
          out.line("params: " + answer.getJsonObject("params").encode());
          out.table(
              java.util.List.of("STEP", "KIND", "NEEDS"),
              Output.rows(
                  answer.getJsonArray("steps"),
                  s ->
                      java.util.List.of(
                          s.getString("name"),
                          s.getString("kind"),
                          String.join(
                              ",",
                              s.getJsonArray("needs", new io.vertx.core.json.JsonArray())
                                  .getList()))));
        }
        return Cli.OK;
      }
      long id = answer.getLong("id");
      return started(
          this,
          answer,
          follow,
          "run "
              + id
              + " "
              + out.status(answer.getString("status"))
              + "  (nightshift logs "
              + id
              + " --follow)");
    }
  }

  /** A run just started: followed until its end when asked to, else its answer shown. */
  static int started(Base command, JsonObject run, boolean follow, String text) {
    if (follow) {
      return follow(command, run.getLong("id"));
    }
    command.out().answer(run, text);
    return Cli.OK;
  }

  /**
   * Prints a run's live log until its end (across lost connections); the run then, and on standard
   * error what it stored that was not shown.
   */
  private static JsonObject streamToEnd(Base command, long id, FollowPrinter printer) {
    LogFollower.follow(command.api(), id, printer::print);
    JsonObject run = command.api().get("/api/v1/runs/" + id);
    printer.unshown(run).forEach(command.api()::note);
    return run;
  }

  /** Prints a run's log until it ends; the exit status says whether it succeeded. */
  static int follow(Base command, long id) {
    Output out = command.out();
    if (!out.json()) {
      out.line("run " + id + " started; following its log");
    }
    JsonObject run = streamToEnd(command, id, new FollowPrinter(out, null));
    String status = run.getString("status");
    if (!out.json()) {
      String error = run.getString("error");
      out.line("run " + id + " " + out.status(status) + (error == null ? "" : ": " + error));
    }
    return SUCCESS.contains(status) ? Cli.OK : Cli.RUN_FAILED;
  }

  @Command(name = "runs", description = "Run history, newest first.")
  static final class List extends Base {
    @Option(names = "--job", paramLabel = "NAME", description = "Only the runs of this job.")
    String job;

    @Option(
        names = "--template",
        paramLabel = "NAME",
        description = "Only the runs of this template.")
    String template;

    @Option(
        names = "--status",
        paramLabel = "S[,S...]",
        description = "Only runs in these statuses (failed,canceled: any case).")
    String status;

    @Option(
        names = "--since",
        paramLabel = "INSTANT",
        description = "Only runs created at or after it (2026-12-01T00:00:00Z).")
    String since;

    @Option(names = "--until", paramLabel = "INSTANT", description = "Only runs created before it.")
    String until;

    @Option(
        names = "--limit",
        defaultValue = "20",
        paramLabel = "N",
        description = "How many, newest first (default 20).")
    int limit;

    @Override
    int run() {
      StringBuilder q = new StringBuilder("/api/v1/runs?limit=" + limit);
      if (job != null) q.append("&job=").append(Api.encode(job));
      if (template != null) q.append("&template=").append(Api.encode(template));
      if (status != null) q.append("&status=").append(Api.encode(status));
      if (since != null) q.append("&since=").append(Api.encode(since));
      if (until != null) q.append("&until=").append(Api.encode(until));
      JsonObject page = api().get(q.toString());
      Output out = out();
      out.list(
          page.getJsonArray("items"),
          java.util.List.of("ID", "TEMPLATE", "JOB", "STATUS", "TRIGGER", "CREATED"),
          r ->
              java.util.List.of(
                  String.valueOf(r.getValue("id")),
                  r.getString("template") + " v" + r.getValue("templateVersion"),
                  r.getString("job") == null ? "-" : r.getString("job"),
                  out.status(r.getString("status")),
                  r.getString("trigger"),
                  String.valueOf(r.getString("createdAt"))));
      return Cli.OK;
    }
  }

  @Command(name = "run-status", description = "A run and its steps.")
  static final class Status extends Base {
    @Parameters(paramLabel = "ID")
    long id;

    @Override
    int run() {
      JsonObject run = api().get("/api/v1/runs/" + id);
      Output out = out();
      if (out.json()) {
        out.json(run);
        return Cli.OK;
      }
      out.line(
          "run "
              + id
              + "  "
              + run.getString("template")
              + " v"
              + run.getValue("templateVersion")
              + "  "
              + out.status(run.getString("status"))
              + (run.getString("error") == null ? "" : "  " + run.getString("error")));
      // The rollback's undos follow the steps, in the order they ran.
      io.vertx.core.json.JsonArray rows = run.getJsonArray("steps").copy();
      if (run.getJsonArray("rollback") != null) {
        rows.addAll(run.getJsonArray("rollback"));
      }
      out.table(
          java.util.List.of("STEP", "KIND", "STATUS", "ATTEMPT", "EXIT", "ERROR"),
          Output.rows(
              rows,
              s ->
                  java.util.List.of(
                      s.getString("name"),
                      s.getString("kind"),
                      out.status(s.getString("status")),
                      String.valueOf(s.getValue("attempt")),
                      s.getValue("exitCode") == null ? "-" : String.valueOf(s.getValue("exitCode")),
                      s.getString("error") == null ? "" : s.getString("error"))));
      return Cli.OK;
    }
  }

  @Command(name = "logs", description = "A run's log; --follow streams it until the run ends.")
  static final class Logs extends Base {
    @Parameters(paramLabel = "ID")
    long id;

    @Option(names = "--follow", description = "Stream new lines until the run ends.")
    boolean follow;

    @Option(
        names = "--step",
        paramLabel = "S",
        description = "Only this step's lines (every attempt's).")
    String step;

    @Override
    int run() {
      Output out = out();
      if (follow) {
        String status = streamToEnd(this, id, new FollowPrinter(out, step)).getString("status");
        if (!out.json()) {
          out.line("run " + id + " " + out.status(status));
        }
        // Like run --follow: 0 only when the followed run succeeded.
        return SUCCESS.contains(status) ? Cli.OK : Cli.RUN_FAILED;
      }
      String path =
          "/api/v1/runs/" + id + "/logs" + (step == null ? "" : "?step=" + Api.encode(step));
      api().each(path, "after", line -> FollowPrinter.line(out, line));
      return Cli.OK;
    }
  }

  @Command(name = "cancel", description = "Cancel a run (its processes are killed).")
  static final class Cancel extends Base {
    @Parameters(paramLabel = "ID")
    long id;

    @Override
    int run() {
      JsonObject run = api().post("/api/v1/runs/" + id + "/cancel", null);
      Output out = out();
      out.answer(run, "run " + id + " " + out.status(run.getString("status")));
      return Cli.OK;
    }
  }

  @Command(name = "retry", description = "A new run from the failed step.")
  static final class Retry extends Base {
    @Parameters(paramLabel = "ID")
    long id;

    @Option(
        names = "--follow",
        description = "Print the log until the run ends; exit 0 if it succeeded, 1 if not.")
    boolean follow;

    @Option(
        names = "--force",
        description = "Start it although its job forbids overlapping runs and one is active.")
    boolean force;

    @Mixin StartKey key;

    @Override
    int run() {
      JsonObject run =
          forcible(
              () ->
                  api()
                      .start(
                          "/api/v1/runs/" + id + "/retry",
                          force ? new JsonObject().put("force", true) : new JsonObject(),
                          key.value));
      long newId = run.getLong("id");
      return started(
          this,
          run,
          follow,
          "run " + newId + " retries run " + id + ": " + out().status(run.getString("status")));
    }
  }
}
