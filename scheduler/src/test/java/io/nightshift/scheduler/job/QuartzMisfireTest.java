package io.nightshift.scheduler.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nightshift.scheduler.CapturedLog;
import io.nightshift.scheduler.SettableClock;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A trigger Quartz finds more than a minute late (a misfire) is handed to the fire queue and judged
 * there by the cluster's clock, like any fire: recorded as missed by the schedule it fired by, not
 * when the job's schedule changed since (on another node) and does not hold its time. Quartz finds
 * misfires holding its own lock: one that waits on its job's row must not hold back the other
 * jobs'. On MariaDB, whose row locks wait 50 s as in production.
 *
 * <p>The node's clock (its own and the cluster's here) is 5 minutes behind Quartz's, which keeps
 * the real time: each trigger it schedules starts in Quartz's past and misfires at once. Its clock
 * is then moved past the minute after which a fire is missed.
 */
class QuartzMisfireTest extends FiringFixture {
  /** An even second 5 minutes ago: the node's time; its jobs' first fires are a second later. */
  private final Instant base = evenSecondFiveMinutesAgo();

  private final SettableClock behind = new SettableClock(base);
  private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

  @Override
  Database open() {
    return TestDatabases.freshMysql();
  }

  private Instant evenSecondFiveMinutesAgo() {
    Instant at = clock.instant().minus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.SECONDS);
    return at.getEpochSecond() % 2 == 0 ? at : at.minusSeconds(1);
  }

  private JobScheduler node() {
    return new JobScheduler(
        firing("n1", metrics, behind, behind),
        jobs,
        new FireRepository(dsl),
        "n1",
        behind,
        () -> false);
  }

  /** The node's time moves on: fires due before {@code first} plus a minute are missed. */
  private void overAMinuteAfter(Instant first) {
    behind.advance(Duration.between(behind.instant(), first.plus(Firing.LATE).plusSeconds(1)));
  }

  @Test
  void a_misfire_waiting_on_its_jobs_row_holds_back_no_other_jobs() throws Exception {
    try (JobScheduler node = node()) {
      node.start();
      // "a-locked" sorts first: Quartz finds its misfire before the other's.
      StoredJob locked = job("a-locked", "allow");
      StoredJob other = job("b-other", "allow");
      Instant first = base.plusSeconds(1);
      try (Connection holder = database.dataSource().getConnection()) {
        holder.setAutoCommit(false);
        try (var lock = holder.createStatement()) {
          lock.executeQuery("select id from job where id = " + locked.id() + " for update").close();
        }
        // Another transaction (a claim on another node, a long update) holds its row.
        node.schedule(locked);
        node.schedule(other);
        overAMinuteAfter(first);

        Awaitility.await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> scheduled(other), times -> !times.isEmpty());
        assertThat(scheduled(other)).containsExactly(first);
        assertThat(scheduled(locked)).as("waiting on its row").isEmpty();
        holder.rollback();
      }
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> scheduled(locked), times -> !times.isEmpty());
      assertThat(scheduled(locked)).containsExactly(first);
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> misfires("a-locked") == 1 && misfires("b-other") == 1);
    }
  }

  @Test
  void a_misfire_of_a_schedule_changed_since_is_not_recorded_as_missed() {
    // The fire left out is told at INFO.
    try (CapturedLog firingLog = CapturedLog.of(Firing.class);
        JobScheduler node = node()) {
      node.start();
      // Every second, created before the node's time (its clock is 5 minutes behind the real one).
      StoredJob old = job("changed", "allow", base.minusSeconds(1));
      StoredJob control = job("control", "allow");
      // Another node changed it to every 2 s, and this one has not heard of it yet.
      jobs.update(everyTwoSeconds("changed"), "update", "alice", base);
      node.schedule(old);
      node.schedule(control);
      Instant first = base.plusSeconds(1); // odd: the new schedule does not hold it
      overAMinuteAfter(first);

      String leftOut = "job changed fire at " + first + " not started";
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  !scheduled(control).isEmpty()
                      && firingLog.messages().stream().anyMatch(m -> m.startsWith(leftOut)));
      assertThat(scheduled(control)).containsExactly(first);
      assertThat(scheduled(old))
          .as("the old schedule's fire at %s, after the change, is not a missed one", first)
          .isEmpty();
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> misfires("control") == 1);
      assertThat(misfires("changed")).isZero();
    }
  }

  @Test
  void a_misfire_not_a_minute_late_by_the_databases_time_starts_its_run_then() {
    try (JobScheduler node = node()) {
      node.start();
      StoredJob job = job("nightly", "allow");
      node.schedule(job);
      Instant first = base.plusSeconds(1);
      // Quartz found it over a minute late by its own clock; by the cluster's it is 10 s late.
      behind.advance(Duration.between(behind.instant(), first.plusSeconds(10)));

      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> fires(job, "started"), times -> !times.isEmpty());
      assertThat(fires(job, "started")).containsExactly(first);
      assertThat(scheduled(job)).isEmpty();
      assertThat(handed).hasSize(1);
    }
  }

  private double misfires(String job) {
    var counter = metrics.find("nightshift.misfires").tag("job", job).counter();
    return counter == null ? 0 : counter.count();
  }

  /** The times of the job's fires recorded as missed. */
  private List<Instant> scheduled(StoredJob job) {
    return fires(job, "misfired");
  }

  private JobSpec everyTwoSeconds(String name) {
    return JobParser.parse(
        new JsonObject()
            .put("name", name)
            .put("template", "gate")
            .put("concurrency", "allow")
            .put("schedule", new JsonObject().put("everySeconds", 2)),
        null,
        null,
        clock.instant());
  }
}
