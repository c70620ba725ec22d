package io.nightshift.web.jobs;

import static io.nightshift.web.jobs.JobsKit.at;
import static io.nightshift.web.jobs.JobsKit.createJob;
import static io.nightshift.web.jobs.JobsKit.every;
import static io.nightshift.web.jobs.JobsKit.fires;
import static io.nightshift.web.jobs.JobsKit.job;
import static io.nightshift.web.jobs.JobsKit.runs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fires missed while no node ran, or while a job was paused, become ONE misfired record (skip) or
 * ONE run (fire_once), never a burst. Missed means: up to the start when no other node is live,
 * older than the 10 s tolerance at a start beside a live node (looked at again later), up to the
 * resume for a paused job.
 */
class JobMisfireTest {

  /** Waits on the wall clock (no sleep): until {@code instant} has passed. */
  static void waitUntil(Instant instant) {
    await()
        .pollInterval(Duration.ofMillis(200))
        .atMost(Duration.between(Instant.now(), instant).plusSeconds(5))
        .until(() -> Instant.now().isAfter(instant));
  }

  /** Every-2-second schedule points strictly after {@code after} up to {@code until} included. */
  static long pointsBetween(Instant after, Instant until) {
    return until.getEpochSecond() / 2 - after.getEpochSecond() / 2;
  }

  static void jobs(TestServer server) {
    JobsKit.template(server, "tick", "echo tick", "[]");
    createJob(
        server,
        job("skip-job", "tick", every(2)).put("misfire", "skip").put("concurrency", "allow"));
    createJob(
        server,
        job("once-job", "tick", every(2)).put("misfire", "fire_once").put("concurrency", "allow"));
  }

  /**
   * The fires recorded after a gap (downtime or pause) that ended after {@code endFrom} (taken
   * before the start or resume), checked for both policies once both catch-ups are recorded (on a
   * loaded machine a start takes seconds, and a fire due meanwhile is rightly one of the missed);
   * {@code lastBefore} holds each job's latest scheduled time before the gap.
   */
  static void assertOneCatchUpEach(
      TestServer server,
      Instant skipLastBefore,
      Instant onceLastBefore,
      Instant endFrom,
      Duration tolerance) {
    await()
        .atMost(Duration.ofSeconds(25))
        .until(
            () ->
                !fires(server, "skip-job", "misfired").isEmpty()
                    && fires(server, "once-job").stream()
                        .anyMatch(
                            f -> String.valueOf(f.getString("reason")).contains("fire_once")));
    Instant endTo = Instant.now();
    List<JsonObject> misfired =
        fires(server, "skip-job").stream()
            .filter(f -> at(f, "scheduledAt").isAfter(skipLastBefore))
            .filter(f -> f.getString("outcome").equals("misfired"))
            .toList();
    assertThat(misfired).as("one misfired record for the gap").hasSize(1);
    JsonObject miss = misfired.get(0);
    Instant missAt = at(miss, "scheduledAt");
    // the catch-up runs as the gap ends; at a start beside a live node, fires younger than 10 s
    // then are looked at later (that node may be claiming them); alone or on resume, every fire
    // up to then is missed
    assertThat(missAt).isBefore(endTo.minus(tolerance).plusSeconds(2));
    assertThat(missAt).isAfterOrEqualTo(endFrom.minus(tolerance).minusSeconds(3));
    assertThat(miss.getValue("runId")).isNull();
    long missed = pointsBetween(skipLastBefore, missAt);
    assertThat(missed).isGreaterThanOrEqualTo(1);
    assertThat(miss.getString("reason"))
        .startsWith(missed == 1 ? "1 fire missed at " : missed + " fire(s) missed between ")
        .contains("policy skip");
    JobsKit.assertOneRunPerStartedFire(server, "skip-job"); // none for the missed fires

    List<JsonObject> afterGap =
        fires(server, "once-job").stream()
            .filter(f -> at(f, "scheduledAt").isAfter(onceLastBefore))
            .toList();
    List<JsonObject> caughtUp =
        afterGap.stream()
            .filter(f -> f.getString("reason") != null)
            .filter(f -> f.getString("reason").contains("fire_once"))
            .toList();
    assertThat(caughtUp).as("one fire stands for the whole gap").hasSize(1);
    JsonObject once = caughtUp.get(0);
    Instant onceAt = at(once, "scheduledAt");
    assertThat(afterGap)
        .as("no fire of the gap before the one that stands for it")
        .noneMatch(f -> at(f, "scheduledAt").isBefore(onceAt));
    assertThat(onceAt).isBefore(endTo.plusSeconds(2));
    assertThat(onceAt).isAfterOrEqualTo(endFrom.minusSeconds(3));
    assertThat(once.getString("outcome")).isEqualTo("started");
    assertThat(once.getString("reason")).contains("missed");
    assertThat(once.getLong("runId")).isNotNull();
    assertThat(fires(server, "once-job", "misfired")).isEmpty();
    JobsKit.assertOneRunPerStartedFire(server, "once-job");
    List<JsonObject> runs = runs(server, "once-job");
    Instant caughtUpRun =
        runs.stream()
            .filter(r -> r.getLong("id").equals(once.getLong("runId")))
            .map(r -> at(r, "createdAt"))
            .findFirst()
            .orElseThrow();
    long runsAtOnce =
        runs.stream()
            .filter(r -> !at(r, "createdAt").isBefore(caughtUpRun))
            .filter(r -> at(r, "createdAt").isBefore(caughtUpRun.plusMillis(900)))
            .count();
    assertThat(runsAtOnce).as("no burst of catch-up runs").isLessThanOrEqualTo(2);
  }

  @Test
  void after_downtime_skip_records_one_misfire_and_fire_once_runs_once_then_both_fire_normally()
      throws Exception {
    Path dataDir = TempFolders.create("nightshift-misfire-");
    Config first = TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null);
    Instant skipLast;
    Instant onceLast;
    try (TestServer a = TestServer.start(first)) {
      jobs(a);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  fires(a, "skip-job", "started").size() >= 1
                      && fires(a, "once-job", "started").size() >= 1);
      a.nightshift().jobScheduler().close();
      skipLast = at(fires(a, "skip-job").get(fires(a, "skip-job").size() - 1), "scheduledAt");
      onceLast = at(fires(a, "once-job").get(fires(a, "once-job").size() - 1), "scheduledAt");
    }
    waitUntil(Instant.now().plusSeconds(14));

    Config second = TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null);
    Instant restart = Instant.now();
    try (TestServer b = TestServer.start(second)) {
      // No other node is live: nobody claims fires, every fire up to the start was missed.
      assertOneCatchUpEach(b, skipLast, onceLast, restart, Duration.ZERO);
      String node = b.nightshift().config().node();
      assertThat(fires(b, "skip-job", "misfired").get(0).getString("node")).isEqualTo(node);

      // then they fire normally on the new node, with no further catch-up
      await()
          .atMost(Duration.ofSeconds(8))
          .until(
              () ->
                  fires(b, "skip-job", "started").stream()
                              .filter(f -> at(f, "scheduledAt").isAfter(restart))
                              .count()
                          >= 2
                      && fires(b, "once-job", "started").stream()
                              .filter(f -> at(f, "scheduledAt").isAfter(restart))
                              .count()
                          >= 2);
      assertThat(fires(b, "skip-job", "misfired")).hasSize(1);
      assertThat(
              fires(b, "once-job").stream()
                  .filter(f -> f.getString("reason") != null)
                  .filter(f -> f.getString("reason").contains("fire_once")))
          .hasSize(1);
      // After the catch-up's record, every fire starts. (Not "after restart": on a loaded machine
      // the start takes over a second, and a fire due during it is rightly one of the missed.)
      Instant missAt = at(fires(b, "skip-job", "misfired").get(0), "scheduledAt");
      assertThat(fires(b, "skip-job"))
          .filteredOn(f -> at(f, "scheduledAt").isAfter(missAt))
          .isNotEmpty()
          .allMatch(f -> f.getString("outcome").equals("started"))
          .allMatch(f -> f.getString("node").equals(node));
      assertThat(JobsKit.sample(JobsKit.metrics(b), "nightshift_fires_total{outcome=\"misfired\"}"))
          .isEqualTo(1);
      assertThat(fires(b, "skip-job", "misfired").get(0).getString("reason"))
          .contains("(no node was running)");
      assertThat(JobsKit.sample(JobsKit.metrics(b), "nightshift_misfires_total{job=\"skip-job\"}"))
          .isPositive();
      // No fire of the gap went unrecorded: the first fire after the misfired record's is the
      // next point of the 2 s schedule (the record stands for every fire up to its own).
      assertThat(
              fires(b, "skip-job").stream()
                  .map(f -> at(f, "scheduledAt"))
                  .filter(t -> t.isAfter(missAt))
                  .min(Instant::compareTo))
          .contains(missAt.plusSeconds(2));
    }
  }
}
