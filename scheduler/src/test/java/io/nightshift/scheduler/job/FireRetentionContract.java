package io.nightshift.scheduler.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.store.Retention;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cron log's retention on a real store (embedded and MariaDB: {@link H2FireRetentionTest},
 * {@link MySqlFireRetentionTest}): fires past the retention go, in batches, except each job's
 * newest {@link FireRetention#KEEP}; a deleted job's fires go whole; what is left is listed and
 * counted from as before.
 */
abstract class FireRetentionContract extends FiringFixture {
  private static final Duration NINETY_DAYS = Duration.ofDays(90);

  @Test
  void fires_past_the_retention_go_but_each_job_keeps_its_newest_and_a_deleted_job_loses_all() {
    Instant now = second();
    FireRepository fires = new FireRepository(dsl);
    // Daily for 150 days: 60 are past 90 days, but only 50 fall outside its newest 100.
    StoredJob daily = job("daily", "allow");
    record(daily, now, Duration.ofDays(1), 150);
    // Hourly for the last 300 hours, and 200 hourly fires 100 days ago: those 200 go.
    StoredJob hourly = job("hourly", "allow");
    record(hourly, now, Duration.ofHours(1), 300);
    record(hourly, now.minus(Duration.ofDays(100)), Duration.ofHours(1), 200);
    // Recent fires of a job that is then deleted: nothing lists them any more.
    StoredJob gone = job("gone", "allow");
    record(gone, now, Duration.ofMinutes(1), 5);
    // Attempts to tell the jobs' webhooks of their fires: an old and a recent one, and the deleted
    // job's recent one; the old one and the deleted job's go.
    var deliveries = new io.nightshift.scheduler.notify.WebhookRepository(dsl);
    long noRun = io.nightshift.scheduler.run.RunEvents.NO_RUN;
    Instant old = now.minus(Duration.ofDays(95));
    deliveries.record(noRun, daily.id(), "job.fire_failed", "http://h/x", 1, 500, null, old);
    deliveries.record(noRun, daily.id(), "job.fire_failed", "http://h/x", 1, 204, null, now);
    deliveries.record(noRun, gone.id(), "job.fire_failed", "http://h/x", 1, 204, null, now);
    jobs.delete("gone", "alice", now);
    // A job with a few old fires: fewer than it keeps, so none goes.
    StoredJob monthly = job("monthly", "allow");
    record(monthly, now.minus(Duration.ofDays(400)), Duration.ofDays(30), 3);

    int deleted = new FireRetention(fires, new Retention(NINETY_DAYS, 7, clock)).purge();

    assertThat(deleted).isEqualTo(50 + 200 + 5);
    assertThat(scheduled(daily))
        .as("the newest 100 days, although 10 of them are past the retention")
        .hasSize(100)
        .allSatisfy(t -> assertThat(t).isAfter(now.minus(Duration.ofDays(100))));
    assertThat(scheduled(hourly))
        .hasSize(300)
        .allSatisfy(t -> assertThat(t).isAfter(now.minus(NINETY_DAYS)));
    assertThat(scheduled(gone)).isEmpty();
    assertThat(scheduled(monthly)).hasSize(3);
    assertThat(deliveries.forJob(daily.id(), null, 10).items())
        .singleElement()
        .satisfies(d -> assertThat(d.statusCode()).isEqualTo(204));
    assertThat(deliveries.forJob(gone.id(), null, 10).items()).isEmpty();
    assertThat(fires.lastScheduled(daily.id())).contains(now);
    assertThat(fires.lastScheduled(monthly.id()))
        .as("the fire a missed-fire catch-up counts from")
        .contains(now.minus(Duration.ofDays(400)));
    assertThat(fires.page(daily.id(), null, 20).items()).hasSize(20);
    assertThat(new FireRetention(fires, new Retention(NINETY_DAYS, 7, clock)).purge())
        .as("a second pass finds nothing more")
        .isZero();
  }

  @Test
  void the_retention_counts_from_the_clock() {
    Instant now = second();
    FireRepository fires = new FireRepository(dsl);
    StoredJob hourly = job("hourly", "allow");
    // 300 hourly fires ending now: 251 are past 2 days, 200 of them outside the newest 100.
    record(hourly, now, Duration.ofHours(1), 300);
    FireRetention retention =
        new FireRetention(fires, new Retention(Duration.ofDays(2), 10_000, clock));

    assertThat(retention.purge()).as("past 2 days and not among the newest 100").isEqualTo(200);

    clock.advance(Duration.ofDays(10));
    assertThat(retention.purge()).as("the newest 100 stay, however old").isZero();
    assertThat(scheduled(hourly)).hasSize(100);
  }

  /** {@code count} fires of {@code job}, the newest at {@code newest}, {@code every} apart. */
  private void record(StoredJob job, Instant newest, Duration every, int count) {
    List<FireRepository.Claimed> claims = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Instant at = newest.minus(every.multipliedBy(i));
      claims.add(new FireRepository.Claimed(job.id(), at, FireOutcome.STARTED, null, null));
    }
    FireRepository.insertAll(dsl, claims, newest, "n1", "i1");
  }

  private List<Instant> scheduled(StoredJob job) {
    return dsl
        .select(io.nightshift.sql.Tables.JOB_FIRE.SCHEDULED_AT)
        .from(io.nightshift.sql.Tables.JOB_FIRE)
        .where(io.nightshift.sql.Tables.JOB_FIRE.JOB_ID.eq(job.id()))
        .orderBy(io.nightshift.sql.Tables.JOB_FIRE.SCHEDULED_AT.desc())
        .fetch(io.nightshift.sql.Tables.JOB_FIRE.SCHEDULED_AT)
        .stream()
        .map(t -> t.truncatedTo(ChronoUnit.MILLIS))
        .toList();
  }
}
