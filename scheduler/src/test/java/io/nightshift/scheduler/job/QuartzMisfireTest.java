package io.nightshift.scheduler.job;

import static io.nightshift.sql.Tables.JOB_FIRE;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
 * A trigger Quartz finds more than a minute late (a misfire) is recorded as missed by the schedule
 * it fired by: not when the job's schedule changed since, on another node, and does not hold its
 * time. Quartz finds misfires holding its own lock: one that waits on its job's row must not hold
 * back the other jobs'. On MariaDB, whose row locks wait 50 s as in production.
 */
class QuartzMisfireTest extends FiringFixture {
  @Override
  Database open() {
    return TestDatabases.freshMysql();
  }

  @Test
  void a_misfire_waiting_on_its_jobs_row_holds_back_no_other_jobs() throws Exception {
    Instant base = oddSecondFiveMinutesAgo();
    SettableClock behind = new SettableClock(base);
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    try (JobScheduler node =
        new JobScheduler(
            firing("n1", metrics, behind, behind),
            jobs,
            new FireRepository(dsl),
            "n1",
            behind,
            () -> false)) {
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
      assertThat(metrics.find("nightshift.misfires").tag("job", "a-locked").counter().count())
          .isEqualTo(1);
    }
  }

  /**
   * An odd second 5 minutes before now: a node clock there makes each trigger it schedules start in
   * Quartz's past (Quartz keeps the real time), so it misfires at once.
   */
  private Instant oddSecondFiveMinutesAgo() {
    Instant base = clock.instant().minus(Duration.ofMinutes(5)).truncatedTo(ChronoUnit.SECONDS);
    return base.getEpochSecond() % 2 == 0 ? base : base.minusSeconds(1);
  }

  @Test
  void a_misfire_of_a_schedule_changed_since_is_not_recorded_as_missed() {
    // The node's clock is 5 minutes behind Quartz's: its triggers misfire at once.
    Instant base = oddSecondFiveMinutesAgo();
    SettableClock behind = new SettableClock(base);
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    try (JobScheduler node =
        new JobScheduler(
            firing("n1", metrics, behind, behind),
            jobs,
            new FireRepository(dsl),
            "n1",
            behind,
            () -> false)) {
      node.start();
      StoredJob old = job("changed", "allow"); // every second
      StoredJob control = job("control", "allow");
      // Another node changed it to every 2 s, and this one has not heard of it yet.
      jobs.update(everyTwoSeconds("changed"), "update", "alice", base);

      // "changed" first: its misfire is handled before the control's, in the same pass or an
      // earlier one.
      node.schedule(old);
      node.schedule(control);

      Instant first = base.plusSeconds(1);
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> scheduled(control), times -> !times.isEmpty());
      assertThat(scheduled(control)).containsExactly(first);
      assertThat(scheduled(old))
          .as("the old schedule's fire at %s, after the change, is not a missed one", first)
          .isEmpty();
      assertThat(metrics.find("nightshift.misfires").tag("job", "control").counter().count())
          .isEqualTo(1);
      assertThat(metrics.find("nightshift.misfires").tag("job", "changed").counter().count())
          .isZero();
    }
  }

  private List<Instant> scheduled(StoredJob job) {
    return dsl.select(JOB_FIRE.SCHEDULED_AT)
        .from(JOB_FIRE)
        .where(JOB_FIRE.JOB_ID.eq(job.id()).and(JOB_FIRE.OUTCOME.eq("misfired")))
        .fetch(JOB_FIRE.SCHEDULED_AT);
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
