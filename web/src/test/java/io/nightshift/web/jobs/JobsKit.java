package io.nightshift.web.jobs;

import static io.nightshift.sql.Tables.JOB;
import static io.nightshift.sql.Tables.JOB_FIRE;
import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.impl.SchedulerRepository;

/** Small helpers shared by the job tests: templates, jobs, the cron log and runs over HTTP. */
final class JobsKit {
  private JobsKit() {}

  /** A template with one command step and the given params JSON array (may be "[]"). */
  static void template(TestServer server, String name, String command, String params) {
    JsonObject body =
        new JsonObject()
            .put("name", name)
            .put("params", new JsonArray(params))
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "work")
                            .put("kind", "command")
                            .put("command", command)));
    Answer created = server.post("/api/v1/templates", ADMIN_TOKEN, body.encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
  }

  static JsonObject createJob(TestServer server, JsonObject job) {
    Answer created = server.post("/api/v1/jobs", ADMIN_TOKEN, job.encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    return created.json();
  }

  static JsonObject job(String name, String template, JsonObject schedule) {
    return new JsonObject().put("name", name).put("template", template).put("schedule", schedule);
  }

  static JsonObject every(long seconds) {
    return new JsonObject().put("everySeconds", seconds);
  }

  /** The job's cron log, oldest scheduled time first. */
  static List<JsonObject> fires(TestServer server, String job) {
    Answer answer = server.get("/api/v1/jobs/" + job + "/fires?limit=500", ADMIN_TOKEN);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    List<JsonObject> out = new ArrayList<>();
    answer.json().getJsonArray("items").forEach(o -> out.add((JsonObject) o));
    out.sort(
        (a, b) ->
            Instant.parse(a.getString("scheduledAt"))
                .compareTo(Instant.parse(b.getString("scheduledAt"))));
    return out;
  }

  static List<JsonObject> fires(TestServer server, String job, String outcome) {
    return fires(server, job).stream().filter(f -> outcome.equals(f.getString("outcome"))).toList();
  }

  /** The job's runs, oldest first. */
  static List<JsonObject> runs(TestServer server, String job) {
    Answer answer = server.get("/api/v1/runs?limit=500&job=" + job, ADMIN_TOKEN);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    List<JsonObject> out = new ArrayList<>();
    answer.json().getJsonArray("items").forEach(o -> out.add((JsonObject) o));
    out.sort((a, b) -> Long.compare(a.getLong("id"), b.getLong("id")));
    return out;
  }

  /**
   * Each run of the job was started by exactly one fire, and each started fire has its run. The job
   * keeps firing while this reads, so runs are read first and fires after: fires newer than the
   * newest run read (their runs have higher ids; ids only grow) are left out.
   */
  static void assertOneRunPerStartedFire(TestServer server, String job) {
    List<Long> runIds = runs(server, job).stream().map(r -> r.getLong("id")).toList();
    long newestRun = runIds.stream().mapToLong(Long::longValue).max().orElse(0);
    List<JsonObject> started = fires(server, job, "started");
    assertThat(started).allMatch(f -> f.getLong("runId") != null, "every started fire has a run");
    assertThat(runIds)
        .as("exactly one run per started fire")
        .containsExactlyInAnyOrderElementsOf(
            started.stream().map(f -> f.getLong("runId")).filter(id -> id <= newestRun).toList());
  }

  static JsonObject getJob(TestServer server, String name) {
    Answer answer = server.get("/api/v1/jobs/" + name, ADMIN_TOKEN);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    return answer.json();
  }

  static Instant at(JsonObject json, String field) {
    String value = json.getString(field);
    return value == null ? null : Instant.parse(value);
  }

  /** The Prometheus text of /metrics (no token needed). */
  static String metrics(TestServer server) {
    Answer answer = server.get("/metrics", null);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    return answer.body();
  }

  /** The sum of every sample of a metric whose line starts with {@code prefix}. */
  static double sample(String metrics, String prefix) {
    double sum = 0;
    for (String line : metrics.split("\n")) {
      if (line.startsWith(prefix)) {
        String[] parts = line.trim().split(" ");
        sum += Double.parseDouble(parts[parts.length - 1]);
      }
    }
    return sum;
  }

  /** The job's database id (the API does not show it). */
  static long jobId(TestServer server, String name) {
    return server
        .nightshift()
        .database()
        .dsl()
        .select(JOB.ID)
        .from(JOB)
        .where(JOB.NAME.eq(name))
        .fetchSingle(JOB.ID);
  }

  /** Rows of the cron log for a job id, also after the job was deleted. */
  static int fireRows(TestServer server, long jobId) {
    return server.nightshift().database().dsl().fetchCount(JOB_FIRE, JOB_FIRE.JOB_ID.eq(jobId));
  }

  /** Fire rows per outcome, straight from the table (for the cluster checks). */
  static int fireRows(TestServer server, long jobId, String outcome) {
    return server
        .nightshift()
        .database()
        .dsl()
        .fetchCount(JOB_FIRE, JOB_FIRE.JOB_ID.eq(jobId).and(JOB_FIRE.OUTCOME.eq(outcome)));
  }

  /** Whether this node's Quartz still holds a trigger for the job. */
  static boolean quartzHas(TestServer server, String job) throws SchedulerException {
    String prefix = "nightshift-" + server.nightshift().config().node() + "-";
    for (Scheduler s : SchedulerRepository.getInstance().lookupAll()) {
      if (s.getSchedulerName().startsWith(prefix) && !s.isShutdown()) {
        return s.checkExists(JobKey.jobKey(job));
      }
    }
    throw new IllegalStateException("no Quartz scheduler for node " + prefix);
  }
}
