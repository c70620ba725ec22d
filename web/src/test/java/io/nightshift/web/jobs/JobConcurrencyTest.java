package io.nightshift.web.jobs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.jobs.JobsKit.at;
import static io.nightshift.web.jobs.JobsKit.createJob;
import static io.nightshift.web.jobs.JobsKit.every;
import static io.nightshift.web.jobs.JobsKit.fires;
import static io.nightshift.web.jobs.JobsKit.job;
import static io.nightshift.web.jobs.JobsKit.runs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Overlap policies on MySQL: an every-second job whose run takes seconds. forbid skips and records
 * the running run, queue runs them one after another, allow overlaps.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobConcurrencyTest {
  static final Set<String> ENDED = Set.of("SUCCEEDED", "FAILED", "CANCELED", "TIMED_OUT");

  TestServer server;

  @BeforeAll
  void start() {
    server = TestServer.start(TestServer.Store.MYSQL);
    JobsKit.template(server, "slow", "sleep $secs", "[{\"name\":\"secs\",\"default\":\"3\"}]");
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private static List<JsonObject> ended(List<JsonObject> runs) {
    return runs.stream().filter(r -> ENDED.contains(r.getString("status"))).toList();
  }

  private static long running(List<JsonObject> runs) {
    return runs.stream().filter(r -> r.getString("status").equals("RUNNING")).count();
  }

  @Test
  void
      forbid_records_each_overlapping_fire_as_skipped_with_the_running_runs_id_and_never_overlaps() {
    createJob(server, job("forbid-job", "slow", every(1)).put("concurrency", "forbid"));
    AtomicInteger mostRunning = new AtomicInteger();
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              mostRunning.accumulateAndGet((int) running(runs(server, "forbid-job")), Math::max);
              return fires(server, "forbid-job", "started").size() >= 2
                  && fires(server, "forbid-job", "skipped_overlap").size() >= 2;
            });
    server.post("/api/v1/jobs/forbid-job/pause", ADMIN_TOKEN, null);
    assertThat(mostRunning.get()).isLessThanOrEqualTo(1);

    Map<Long, JsonObject> runs =
        runs(server, "forbid-job").stream()
            .collect(Collectors.toMap(r -> r.getLong("id"), Function.identity()));
    List<JsonObject> fires = fires(server, "forbid-job");
    assertThat(runs.keySet())
        .as("a run for each started fire, none for skipped ones")
        .containsExactlyInAnyOrderElementsOf(
            fires.stream()
                .filter(f -> f.getString("outcome").equals("started"))
                .map(f -> f.getLong("runId"))
                .toList());
    for (JsonObject skipped : fires(server, "forbid-job", "skipped_overlap")) {
      Long runId = skipped.getLong("runId");
      assertThat(runId).as(skipped.encode()).isNotNull();
      assertThat(skipped.getString("reason")).contains("run " + runId);
      JsonObject blocking = runs.get(runId);
      Instant firedAt = at(skipped, "firedAt");
      assertThat(at(blocking, "startedAt")).isBeforeOrEqualTo(firedAt);
      // finishedAt is the time the finishing node decided the run's end; its commit (with the
      // run's event) may land a few milliseconds after a fire stamped firedAt has read the run as
      // still active under the job's lock: the skip is right, the two clocks are not ordered.
      assertThat(at(blocking, "finishedAt"))
          .as("still running when skipped")
          .satisfiesAnyOf(
              f -> assertThat(f).isNull(),
              f -> assertThat(f).isAfterOrEqualTo(firedAt.minusSeconds(1)));
    }
    List<JsonObject> byStart =
        runs.values().stream()
            .sorted(Comparator.comparing((JsonObject r) -> at(r, "startedAt")))
            .toList();
    for (int i = 1; i < byStart.size(); i++) {
      assertThat(at(byStart.get(i), "startedAt"))
          .as("no overlap")
          .isAfterOrEqualTo(at(byStart.get(i - 1), "finishedAt"));
    }
    assertThat(
            JobsKit.sample(
                JobsKit.metrics(server), "nightshift_fires_total{outcome=\"skipped_overlap\"}"))
        .isGreaterThanOrEqualTo(2);
  }

  @Test
  void queue_runs_queued_fires_one_after_another_each_starting_after_the_previous_ended() {
    createJob(
        server,
        job("queue-job", "slow", every(1))
            .put("concurrency", "queue")
            .put("params", new JsonObject().put("secs", "2")));
    AtomicInteger mostRunning = new AtomicInteger();
    AtomicInteger mostQueued = new AtomicInteger();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              List<JsonObject> runs = runs(server, "queue-job");
              mostRunning.accumulateAndGet((int) running(runs), Math::max);
              mostQueued.accumulateAndGet(
                  (int) runs.stream().filter(r -> r.getString("status").equals("QUEUED")).count(),
                  Math::max);
              return ended(runs).size() >= 3;
            });
    server.post("/api/v1/jobs/queue-job/pause", ADMIN_TOKEN, null);
    assertThat(mostRunning.get()).as("never two RUNNING at once").isEqualTo(1);
    assertThat(mostQueued.get()).as("runs waited QUEUED").isGreaterThanOrEqualTo(1);

    List<JsonObject> fires = fires(server, "queue-job");
    assertThat(fires).extracting(f -> f.getString("outcome")).contains("started", "queued");
    for (JsonObject queued : fires(server, "queue-job", "queued")) {
      assertThat(queued.getLong("runId")).isNotNull();
      assertThat(queued.getString("reason")).startsWith("waits for run ");
    }
    List<JsonObject> ended =
        ended(runs(server, "queue-job")).stream()
            .sorted(Comparator.comparing((JsonObject r) -> at(r, "startedAt")))
            .toList();
    assertThat(ended).allMatch(r -> r.getString("status").equals("SUCCEEDED"));
    for (int i = 1; i < ended.size(); i++) {
      assertThat(at(ended.get(i), "startedAt"))
          .as(
              "run %s starts after run %s ended",
              ended.get(i).getLong("id"), ended.get(i - 1).getLong("id"))
          .isAfterOrEqualTo(at(ended.get(i - 1), "finishedAt"));
      assertThat(ended.get(i).getLong("id"))
          .as("in fire order")
          .isGreaterThan(ended.get(i - 1).getLong("id"));
    }
    assertThat(
            JobsKit.sample(JobsKit.metrics(server), "nightshift_fires_total{outcome=\"queued\"}"))
        .isGreaterThanOrEqualTo(1);
  }

  @Test
  void allow_starts_a_run_on_every_fire_so_runs_overlap() {
    createJob(server, job("allow-job", "slow", every(1)).put("concurrency", "allow"));
    AtomicInteger mostRunning = new AtomicInteger();
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              mostRunning.accumulateAndGet((int) running(runs(server, "allow-job")), Math::max);
              return ended(runs(server, "allow-job")).size() >= 2;
            });
    server.post("/api/v1/jobs/allow-job/pause", ADMIN_TOKEN, null);
    assertThat(mostRunning.get()).isGreaterThanOrEqualTo(2);
    List<JsonObject> fires = fires(server, "allow-job");
    assertThat(fires).extracting(f -> f.getString("outcome")).containsOnly("started");
    List<JsonObject> ended =
        ended(runs(server, "allow-job")).stream()
            .sorted(Comparator.comparing((JsonObject r) -> at(r, "startedAt")))
            .toList();
    assertThat(at(ended.get(1), "startedAt"))
        .as("the second run started while the first ran")
        .isBefore(at(ended.get(0), "finishedAt"));
  }

  /**
   * The race between a fire that queues behind a run and that run ending: the fire read the run as
   * RUNNING, the run then ended (finding nothing queued yet), and only then the fire committed its
   * QUEUED run. That run must still start. The test holds the fire between its read and its commit
   * with a gap lock on the run table (its INSERT waits) until the running run has ended.
   */
  @Test
  void a_run_queued_while_the_running_one_ends_still_starts() throws Exception {
    createJob(
        server,
        job("queue-race", "slow", null)
            .put("concurrency", "queue")
            .put("params", new JsonObject().put("secs", "2")));
    JsonObject running =
        server
            .post(
                "/api/v1/jobs/queue-race/runs",
                ADMIN_TOKEN,
                new JsonObject().put("params", new JsonObject()).encode())
            .json();
    long runningId = running.getLong("id");
    try (Connection sql =
        DriverManager.getConnection(
            TestDatabases.MYSQL_URL, TestDatabases.MYSQL_USER, TestDatabases.MYSQL_PASSWORD)) {
      sql.setAutoCommit(false);
      try (PreparedStatement gap =
          sql.prepareStatement("SELECT id FROM run WHERE id > ? FOR UPDATE")) {
        gap.setLong(1, runningId);
        gap.executeQuery().close();
      }
      Instant fireAt = Instant.now().plusSeconds(1).truncatedTo(ChronoUnit.MILLIS);
      var put =
          server.put(
              "/api/v1/jobs/queue-race",
              ADMIN_TOKEN,
              new JsonObject()
                  .put("schedule", new JsonObject().put("at", fireAt.toString()))
                  .encode());
      assertThat(put.status()).as(put.toString()).isEqualTo(200);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  server
                          .get("/api/v1/runs/" + runningId, ADMIN_TOKEN)
                          .json()
                          .getString("status")
                          .equals("SUCCEEDED")
                      && Instant.now().isAfter(fireAt.plusMillis(300)));
      assertThat(fires(server, "queue-race")).as("the fire waits on the gap lock").isEmpty();
      sql.rollback();
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> fires(server, "queue-race").size() == 1);
    JsonObject fire = fires(server, "queue-race").get(0);
    assertThat(fire.getString("outcome")).isEqualTo("queued");
    long queuedId = fire.getLong("runId");
    await()
        .atMost(Duration.ofSeconds(8))
        .untilAsserted(
            () ->
                assertThat(
                        server
                            .get("/api/v1/runs/" + queuedId, ADMIN_TOKEN)
                            .json()
                            .getString("status"))
                    .as("the queued run started although its predecessor ended first")
                    .isEqualTo("SUCCEEDED"));
  }
}
