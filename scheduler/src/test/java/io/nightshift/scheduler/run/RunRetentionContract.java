package io.nightshift.scheduler.run;

import static io.nightshift.sql.Tables.LOG_LINE;
import static io.nightshift.sql.Tables.PENDING_APPROVAL;
import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;
import static io.nightshift.sql.Tables.WEBHOOK_DELIVERY;
import static io.nightshift.sql.Tables.WEBHOOK_OUTBOX;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.SettableClock;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.Retention;
import io.nightshift.scheduler.store.TestDatabases;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The run history's retention on a real store (embedded and MariaDB: {@link H2RunRetentionTest},
 * {@link MySqlRunRetentionTest}): runs that ended before the retention go with all they own, in
 * batches, oldest first; each job keeps its newest {@link RunRetention#KEEP_PER_JOB}; a run that
 * has not ended stays however old.
 */
abstract class RunRetentionContract {
  private static final Duration NINETY_DAYS = Duration.ofDays(90);

  final SettableClock clock = SettableClock.now();
  Database database;
  DSLContext dsl;
  Instant now;

  abstract Database open();

  @BeforeEach
  void store() {
    database = open();
    dsl = database.dsl();
    now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
  }

  @AfterEach
  void close() {
    TestDatabases.close(database);
  }

  /** A run to store: its job (null: started by hand), how it ended, when it began and ended. */
  private record Old(String job, RunStatus status, Instant created, Instant finished) {}

  @Test
  void runs_that_ended_before_the_retention_go_with_what_they_own_but_each_job_keeps_its_newest() {
    List<Old> old = new ArrayList<>();
    // Daily for 150 days, each an hour long: 59 ended more than 90 days ago, but only the 50
    // oldest fall outside the job's newest 100.
    for (int day = 0; day < 150; day++) {
      Instant at = now.minus(Duration.ofDays(day));
      old.add(new Old("backup", RunStatus.SUCCEEDED, at, at.plus(Duration.ofHours(1))));
    }
    // Three yearly runs, long past the retention: fewer than a job keeps.
    for (int year = 1; year <= 3; year++) {
      Instant at = now.minus(Duration.ofDays(365L * year + 35));
      old.add(new Old("archive", RunStatus.FAILED, at, at.plus(Duration.ofMinutes(5))));
    }
    // Started by hand 100 days ago (30 go) and yesterday (5 stay).
    for (int i = 0; i < 30; i++) {
      Instant at = now.minus(Duration.ofDays(100)).plus(Duration.ofMinutes(i));
      old.add(new Old(null, RunStatus.CANCELED, at, at.plus(Duration.ofMinutes(1))));
    }
    for (int i = 0; i < 5; i++) {
      Instant at = now.minus(Duration.ofDays(1)).plus(Duration.ofMinutes(i));
      old.add(new Old(null, RunStatus.SUCCEEDED, at, at.plus(Duration.ofMinutes(1))));
    }
    // Still waiting for an approval after 200 days, and one that waited 90 days and ended 10 ago.
    Instant waitingSince = now.minus(Duration.ofDays(200));
    old.add(new Old(null, RunStatus.WAITING_APPROVAL, waitingSince, null));
    Instant longWait = now.minus(Duration.ofDays(100)).plus(Duration.ofHours(1));
    old.add(new Old(null, RunStatus.SUCCEEDED, longWait, now.minus(Duration.ofDays(10))));
    // A run that ended 95 days ago and one that ended today, each with steps, log lines, an
    // approval and webhook deliveries: the first goes whole, the second stays whole.
    Instant at95 = now.minus(Duration.ofDays(95)).plusSeconds(1);
    Old goneRun = new Old(null, RunStatus.FAILED, at95, at95.plusSeconds(60));
    old.add(goneRun);
    Old keptRun = new Old(null, RunStatus.FAILED, now, now.plusSeconds(60));
    old.add(keptRun);
    Map<Old, Long> ids = store(old);
    long waiting = ids.get(old.get(old.size() - 4));
    long waitedLong = ids.get(old.get(old.size() - 3));
    long gone = ids.get(goneRun);
    long kept = ids.get(keptRun);
    for (long run : List.of(waiting, gone, kept)) {
      addOwnedRows(run);
    }

    int deleted = retention(7).purge();

    assertThat(deleted).isEqualTo(50 + 30 + 1);
    assertThat(created("backup"))
        .as("the newest 100 days, although 9 of them ended before the retention")
        .hasSize(100)
        .allSatisfy(t -> assertThat(t).isAfter(now.minus(Duration.ofDays(100))));
    assertThat(created("archive")).hasSize(3);
    assertThat(dsl.fetchCount(RUN, RUN.JOB_NAME.isNull()))
        .as("yesterday's 5, the waiting one, the one that waited long, and the one with rows")
        .isEqualTo(5 + 1 + 1 + 1);
    assertThat(dsl.fetchExists(RUN, RUN.ID.eq(waiting))).as("has not ended").isTrue();
    assertThat(dsl.fetchExists(RUN, RUN.ID.eq(waitedLong))).as("ended 10 days ago").isTrue();
    assertThat(ownedRows(gone)).as("the deleted run's steps, lines, approval, deliveries").isZero();
    assertThat(ownedRows(kept)).isEqualTo(OWNED_ROWS);
    assertThat(ownedRows(waiting)).isEqualTo(OWNED_ROWS);
    assertThat(retention(7).purge()).as("a second pass finds nothing more").isZero();

    clock.advance(Duration.ofDays(1000));
    assertThat(retention(1000).purge())
        .as("every run started by hand that ended; the jobs keep their newest")
        .isEqualTo(5 + 1 + 1);
    assertThat(created("backup")).hasSize(100);
    assertThat(created("archive")).hasSize(3);
    assertThat(dsl.fetchExists(RUN, RUN.ID.eq(waiting))).isTrue();
    assertThat(ownedRows(waiting)).isEqualTo(OWNED_ROWS);
  }

  private RunRetention retention(int batch) {
    return new RunRetention(new RunPurgeRepository(dsl), new Retention(NINETY_DAYS, batch, clock));
  }

  /**
   * Who may approve a retry is read along its chain of runs: the chain goes from its newest end.
   */
  @Test
  void a_run_stays_while_a_run_retried_from_it_remains() {
    Instant old = now.minus(Duration.ofDays(200));
    Old first = new Old(null, RunStatus.FAILED, old, old.plusSeconds(60));
    Old second = new Old(null, RunStatus.FAILED, old.plusSeconds(120), old.plusSeconds(180));
    Old third = new Old(null, RunStatus.WAITING_APPROVAL, old.plusSeconds(240), null);
    Map<Old, Long> ids = store(List.of(first, second, third));
    retried(ids.get(second), ids.get(first));
    retried(ids.get(third), ids.get(second));

    assertThat(retention(100).purge()).as("the waiting retry holds its whole chain").isZero();

    dsl.update(RUN)
        .set(RUN.STATUS, "SUCCEEDED")
        .set(RUN.FINISHED_AT, now.minus(Duration.ofDays(100)))
        .where(RUN.ID.eq(ids.get(third)))
        .execute();
    clock.advance(Duration.ofDays(1));
    // The third ended 100 days ago: it goes, then a pass at a time the runs it was retried from.
    assertThat(retention(100).purge()).isEqualTo(1);
    assertThat(retention(100).purge()).isEqualTo(1);
    assertThat(retention(100).purge()).isEqualTo(1);
    assertThat(dsl.fetchCount(RUN)).isZero();
  }

  private void retried(long retry, long from) {
    dsl.update(RUN).set(RUN.RETRY_OF, from).where(RUN.ID.eq(retry)).execute();
  }

  /** Stores the runs oldest first (ids grow with creation, as they do when runs are made). */
  private Map<Old, Long> store(List<Old> runs) {
    Map<Old, Long> ids = new java.util.HashMap<>();
    List<Old> byAge = new ArrayList<>(runs);
    byAge.sort(Comparator.comparing(Old::created));
    for (Old run : byAge) {
      Long id =
          dsl.insertInto(RUN)
              .set(RUN.TEMPLATE_NAME, "t")
              .set(RUN.TEMPLATE_VERSION, 1)
              .set(RUN.TEMPLATE_SNAPSHOT, "{}")
              .set(RUN.JOB_NAME, run.job())
              .set(RUN.TRIGGER_KIND, run.job() == null ? "MANUAL" : "SCHEDULE")
              .set(RUN.TRIGGERED_BY, "alice")
              .set(RUN.STATUS, run.status().name())
              .set(RUN.PARAMS, "{}")
              .set(RUN.REVISION, 1)
              .set(RUN.CREATED_AT, run.created())
              .set(RUN.STARTED_AT, run.created())
              .set(RUN.FINISHED_AT, run.finished())
              .returningResult(RUN.ID)
              .fetchOne(RUN.ID);
      ids.put(run, id);
    }
    return ids;
  }

  /** Rows a run owns that {@link #addOwnedRows} adds. */
  private static final int OWNED_ROWS = 2 + 3 + 1 + 1 + 1;

  /** Two steps, three log lines, an approval, a delivery made and one still to make. */
  private void addOwnedRows(long run) {
    long[] steps = new long[2];
    for (int i = 0; i < 2; i++) {
      steps[i] =
          dsl.insertInto(RUN_STEP)
              .set(RUN_STEP.RUN_ID, run)
              .set(RUN_STEP.NAME, "s" + i)
              .set(RUN_STEP.KIND, "command")
              .set(RUN_STEP.POSITION, i)
              .set(RUN_STEP.ATTEMPT, 1)
              .set(RUN_STEP.STATUS, "SUCCEEDED")
              .set(RUN_STEP.REVISION, 1)
              .returningResult(RUN_STEP.ID)
              .fetchOne(RUN_STEP.ID);
    }
    for (int seq = 1; seq <= 3; seq++) {
      dsl.insertInto(LOG_LINE)
          .set(LOG_LINE.RUN_ID, run)
          .set(LOG_LINE.STEP_RUN_ID, steps[0])
          .set(LOG_LINE.SEQ, (long) seq)
          .set(LOG_LINE.ATTEMPT, 1)
          .set(LOG_LINE.STREAM, "stdout")
          .set(LOG_LINE.TS, now)
          .set(LOG_LINE.LINE, "line " + seq)
          .execute();
    }
    dsl.insertInto(PENDING_APPROVAL)
        .set(PENDING_APPROVAL.RUN_ID, run)
        .set(PENDING_APPROVAL.STEP_RUN_ID, steps[1])
        .set(PENDING_APPROVAL.STEP_NAME, "s1")
        .set(PENDING_APPROVAL.STATUS, "PENDING")
        .set(PENDING_APPROVAL.APPROVERS, "[\"ops\"]")
        .set(PENDING_APPROVAL.ON_TIMEOUT, "deny")
        .set(PENDING_APPROVAL.REQUESTED_BY, "alice")
        .set(PENDING_APPROVAL.REQUESTED_AT, now)
        .execute();
    new io.nightshift.scheduler.notify.WebhookRepository(dsl)
        .record(run, null, "run.failed", "http://h/x", 1, 204, null, now);
    dsl.insertInto(WEBHOOK_OUTBOX)
        .set(WEBHOOK_OUTBOX.EVENT_ID, 1L)
        .set(WEBHOOK_OUTBOX.RUN_ID, run)
        .set(WEBHOOK_OUTBOX.HOOK, "h")
        .set(WEBHOOK_OUTBOX.URL, "http://h/x")
        .set(WEBHOOK_OUTBOX.EVENT, "run.failed")
        .set(WEBHOOK_OUTBOX.BODY, "{}")
        .set(WEBHOOK_OUTBOX.DELIVERY_ID, "d-" + run)
        .set(WEBHOOK_OUTBOX.ATTEMPTS, 0)
        .set(WEBHOOK_OUTBOX.NEXT_AT, now)
        .set(WEBHOOK_OUTBOX.CREATED_AT, now)
        .execute();
  }

  /** How many rows of {@link #addOwnedRows}'s kinds the run has. */
  private int ownedRows(long run) {
    return dsl.fetchCount(RUN_STEP, RUN_STEP.RUN_ID.eq(run))
        + dsl.fetchCount(LOG_LINE, LOG_LINE.RUN_ID.eq(run))
        + dsl.fetchCount(PENDING_APPROVAL, PENDING_APPROVAL.RUN_ID.eq(run))
        + dsl.fetchCount(WEBHOOK_DELIVERY, WEBHOOK_DELIVERY.RUN_ID.eq(run))
        + dsl.fetchCount(WEBHOOK_OUTBOX, WEBHOOK_OUTBOX.RUN_ID.eq(run));
  }

  /** When the job's runs began, newest first. */
  private List<Instant> created(String job) {
    return dsl.select(RUN.CREATED_AT)
        .from(RUN)
        .where(RUN.JOB_NAME.eq(job))
        .orderBy(RUN.ID.desc())
        .fetch(RUN.CREATED_AT);
  }
}
