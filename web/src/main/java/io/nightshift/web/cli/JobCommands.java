package io.nightshift.web.cli;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jobs} lists jobs; {@code jobs show|pause|resume|run NAME}. */
@Command(
    name = "jobs",
    description = "Jobs: list (default), show, pause, resume, run.",
    subcommands = {
      JobShow.class,
      JobCommands.Pause.class,
      JobCommands.Resume.class,
      JobCommands.RunNow.class,
    })
final class JobCommands extends Base {
  @Override
  int run() {
    List<JsonObject> jobs = new ArrayList<>();
    api().each("/api/v1/jobs?limit=500", "after", jobs::add);
    Output out = out();
    out.list(
        new io.vertx.core.json.JsonArray(new ArrayList<Object>(jobs)),
        List.of("NAME", "TEMPLATE", "SCHEDULE", "STATE", "LAST FIRE", "NEXT FIRE"),
        j -> {
          var next = j.getJsonArray("nextFireTimes");
          return List.of(
              j.getString("name"),
              j.getString("template"),
              schedule(j.getJsonObject("schedule")),
              j.getBoolean("enabled") ? "enabled" : out.status("PAUSED"),
              lastFire(out, j.getJsonObject("lastFire"), j.getJsonObject("schedule")),
              next == null || next.isEmpty() ? "-" : next.getString(0));
        });
    return Cli.OK;
  }

  /**
   * The latest fire as a column: when it was due and what became of it (a run's id, or the outcome
   * that started none, marked like a failed status), so a job whose fires fail stands out.
   */
  static String lastFire(Output out, JsonObject fire, JsonObject schedule) {
    if (fire == null) {
      return "-";
    }
    String outcome = fire.getString("outcome");
    String what =
        switch (outcome) {
          case "started" -> "run " + fire.getValue("runId");
          case "queued" -> "queued run " + fire.getValue("runId");
          case "failed_to_start" -> out.status("FAILED") + " to start";
          default -> outcome;
        };
    return inJobZone(fire.getString("scheduledAt"), schedule) + " " + what;
  }

  private static final java.time.format.DateTimeFormatter WITH_OFFSET =
      java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSXXX");

  /**
   * An instant of the job's as its next fire times are shown: in the zone of its cron schedule
   * (else UTC), with the offset, so that a table never mixes two zones.
   */
  static String inJobZone(String instant, JsonObject schedule) {
    if (instant == null) {
      return null;
    }
    try {
      java.time.ZoneId zone =
          schedule != null && schedule.getString("timezone") != null
              ? java.time.ZoneId.of(schedule.getString("timezone"))
              : java.time.ZoneOffset.UTC;
      return WITH_OFFSET.format(java.time.Instant.parse(instant).atZone(zone));
    } catch (java.time.DateTimeException e) {
      return instant;
    }
  }

  static String schedule(JsonObject s) {
    if (s == null) {
      return "on demand";
    }
    if (s.containsKey("cron")) {
      return "cron " + s.getString("cron") + " " + s.getString("timezone", "");
    }
    if (s.containsKey("everySeconds")) {
      return "every " + s.getValue("everySeconds") + "s";
    }
    return "at " + s.getString("at");
  }

  static int show(Base command, JsonObject job) {
    Output out = command.out();
    out.answer(
        job,
        "job "
            + job.getString("name")
            + " "
            + (job.getBoolean("enabled") ? "enabled" : out.status("PAUSED"))
            + " ("
            + schedule(job.getJsonObject("schedule"))
            + ")");
    return Cli.OK;
  }

  @Command(name = "pause", description = "Stop firing a job's schedule.")
  static final class Pause extends Base {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    int run() {
      return show(this, api().post("/api/v1/jobs/" + Api.encode(name) + "/pause", null));
    }
  }

  @Command(name = "resume", description = "Fire a job's schedule again.")
  static final class Resume extends Base {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    int run() {
      return show(this, api().post("/api/v1/jobs/" + Api.encode(name) + "/resume", null));
    }
  }

  @Command(
      name = "run",
      description = "Run a job now; --follow waits for its end, --force overrides a forbid.")
  static final class RunNow extends Base {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(
        names = {"-p", "--param"},
        paramLabel = "NAME=VALUE",
        description = "A parameter value (repeatable); the job's own values are the default.")
    List<String> params = new ArrayList<>();

    @Option(
        names = "--follow",
        description = "Print the log until the run ends; exit 0 if it succeeded, 1 if not.")
    boolean follow;

    @Option(
        names = "--force",
        description = "Start it although the job forbids overlapping runs and one is active.")
    boolean force;

    @Mixin StartKey key;

    @Override
    int run() {
      JsonObject values = ParamValues.of(params);
      JsonObject body = new JsonObject().put("params", values);
      if (force) {
        body.put("force", true);
      }
      JsonObject run =
          RunCommands.forcible(
              () -> api().start("/api/v1/jobs/" + Api.encode(name) + "/runs", body, key.value));
      return RunCommands.started(
          this,
          run,
          follow,
          "run " + run.getLong("id") + " " + out().status(run.getString("status")));
    }
  }
}
