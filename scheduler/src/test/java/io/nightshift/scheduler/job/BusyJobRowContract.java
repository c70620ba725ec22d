package io.nightshift.scheduler.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nightshift.scheduler.CapturedLog;
import io.nightshift.scheduler.run.Trigger;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A claim never waits on a job's row that another transaction holds (a node cut off from the
 * database mid-claim can hold it until the server drops its connection): the other jobs of its lane
 * are claimed meanwhile, and its own fires, in their order, once the row is free. On both stores:
 * MariaDB, whose row locks wait 50 s as in production, and H2.
 */
abstract class BusyJobRowContract extends FiringFixture {
  private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();

  /** How many transactions of the test database wait for a row lock now. */
  abstract int lockWaits();

  @Test
  void a_job_whose_row_is_held_holds_back_no_other_job_of_its_lane_and_fires_once_it_is_free()
      throws Exception {
    StoredJob locked = job("locked", "allow");
    StoredJob other = sameLaneAs(locked, "other");
    StoredJob later = sameLaneAs(locked, "later");
    Instant first = second().minusSeconds(1);
    Instant next = second();
    // Fires the database failed would wait 10 minutes: a held row is no such failure.
    try (FireQueue queue = new FireQueue(firing("n1", metrics), Duration.ofMinutes(10));
        Connection holder = database.dataSource().getConnection()) {
      holder.setAutoCommit(false);
      try (var lock = holder.createStatement()) {
        lock.executeQuery("select id from job where id = " + locked.id() + " for update").close();
      }
      queue.add(due(locked, first));
      queue.add(due(other, first));

      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> started(other), times -> !times.isEmpty());
      queue.add(due(locked, next));
      // The job's later fire waits behind its first one, which waits for the row.
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> queue.waiting() == 2);
      // The lane goes on with the fires that come meanwhile.
      queue.add(due(later, next));
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> started(later), times -> !times.isEmpty());
      assertThat(started(locked)).as("its row is held").isEmpty();
      holder.rollback();

      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> started(locked), times -> times.size() == 2);
      assertThat(started(locked)).as("in their order").containsExactly(first, next);
      assertThat(started(other)).containsExactly(first);
      assertThat(queue.waiting()).isZero();
    }
    assertThat(metrics.find("nightshift.fires.duplicates").counter().count()).isZero();
  }

  @Test
  void a_row_held_over_a_minute_is_told_once_and_its_fire_is_recorded_as_missed_once_free()
      throws Exception {
    StoredJob locked = job("locked", "allow");
    Instant first = second();
    try (CapturedLog queueLog = CapturedLog.of(FireQueue.class);
        FireQueue queue = new FireQueue(firing("n1", metrics));
        Connection holder = database.dataSource().getConnection()) {
      holder.setAutoCommit(false);
      try (var lock = holder.createStatement()) {
        lock.executeQuery("select id from job where id = " + locked.id() + " for update").close();
      }
      queue.add(due(locked, first));
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> queue.waiting() == 1);
      clock.advance(Firing.LATE.plusSeconds(1));

      String told = "job locked's row has been held by another transaction for over 60 s";
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> queueLog.messages().stream().anyMatch(m -> m.startsWith(told)));
      holder.rollback();

      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> fires(locked, "misfired"), times -> !times.isEmpty());
      assertThat(fires(locked, "misfired")).containsExactly(first);
      assertThat(started(locked)).isEmpty();
      assertThat(queueLog.messages().stream().filter(m -> m.startsWith(told))).hasSize(1);
    }
  }

  @Test
  void a_run_now_that_waited_for_its_jobs_row_is_created_when_it_got_it() throws Exception {
    StoredJob job = job("nightly", "allow");
    var gate = templates.find("gate").orElseThrow();
    io.nightshift.scheduler.run.NewRun run =
        new io.nightshift.scheduler.run.NewRun(
            gate.template(),
            gate.version(),
            job.name(),
            Trigger.MANUAL,
            "alice",
            java.util.Map.of(),
            null);
    var admitting = java.util.concurrent.Executors.newSingleThreadExecutor();
    try (Connection holder = database.dataSource().getConnection()) {
      holder.setAutoCommit(false);
      try (var lock = holder.createStatement()) {
        lock.executeQuery("select id from job where id = " + job.id() + " for update").close();
      }
      var admitted = admitting.submit(() -> new JobAdmission(dsl).admit(run, false, clock));
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(this::lockWaits, n -> n == 1);
      clock.advance(Duration.ofSeconds(30));
      Instant gotIt = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
      holder.rollback();

      assertThat(admitted.get(20, java.util.concurrent.TimeUnit.SECONDS).run().createdAt())
          .isEqualTo(gotIt);
    } finally {
      admitting.shutdownNow();
    }
  }

  @Test
  void a_catch_up_fire_waits_for_its_jobs_row_and_then_starts() throws Exception {
    StoredJob job = job("nightly", "allow");
    Firing firing = firing("n1", metrics);
    var catchUp = java.util.concurrent.Executors.newSingleThreadExecutor();
    try (Connection holder = database.dataSource().getConnection()) {
      holder.setAutoCommit(false);
      try (var lock = holder.createStatement()) {
        lock.executeQuery("select id from job where id = " + job.id() + " for update").close();
      }
      // As at a start (misfire policy fire_once) while another transaction holds the job's row.
      var result =
          catchUp.submit(
              () ->
                  firing.fireMissed(
                      job.id(), job.name(), second(), Trigger.INTERVAL, "1 fire(s) missed"));
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(this::lockWaits, n -> n == 1);
      holder.rollback();

      Firing.Result started = result.get(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(started.outcome()).isEqualTo(FireOutcome.STARTED);
      assertThat(started(job)).containsExactly(second());
    } finally {
      catchUp.shutdownNow();
    }
  }

  /**
   * A new job named from {@code name} whose fires are claimed by the same lane as {@code job}'s.
   */
  private StoredJob sameLaneAs(StoredJob job, String name) {
    for (int i = 0; ; i++) {
      StoredJob made = job(name + "-" + i, "allow");
      if (Math.floorMod(made.id() - job.id(), FireQueue.LANES) == 0) {
        return made;
      }
    }
  }

  /** The times of the job's fires that started a run, by their runs' order. */
  private List<Instant> started(StoredJob job) {
    return fires(job, "started");
  }
}
