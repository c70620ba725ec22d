package io.nightshift.scheduler.job;

import io.nightshift.scheduler.store.Retention;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the cron log ({@code job_fire}) from growing without end: a job firing every second adds
 * 86,400 rows a day. Fires scheduled longer ago than the retention are deleted, job by job, in
 * short batches, except that each job keeps its newest {@link #KEEP} fires whatever their age (a
 * monthly job's history, and the last fire a node's missed-fire catch-up counts from). The fires of
 * a deleted job, which nothing lists any more, are deleted whole. So are the recorded attempts to
 * deliver the job's fire events to its webhooks: those older than the retention, or all of a
 * deleted job's. One periodic duty: the caller runs {@link #purge()} on a worker thread (it is
 * blocking JDBC).
 */
public final class FireRetention {
  /** Fires each existing job keeps, however old. */
  public static final int KEEP = 100;

  private static final Logger log = LoggerFactory.getLogger(FireRetention.class);

  private final FireRepository fires;
  private final Retention retention;

  public FireRetention(FireRepository fires, Retention retention) {
    this.fires = fires;
    this.retention = retention;
  }

  /** Deletes what is past the retention; returns the number of fires deleted. */
  public int purge() {
    Instant cutoff = retention.cutoff();
    int fireRows = 0;
    int deliveryRows = 0;
    for (Long job = fires.nextJobWithFires(0); job != null; job = fires.nextJobWithFires(job)) {
      long id = job;
      boolean exists = fires.jobExists(id);
      fireRows += purgeFires(id, exists, cutoff);
      Instant before = exists ? cutoff : null;
      deliveryRows +=
          retention.repeat(() -> fires.deleteDeliveriesBefore(id, before, retention.batch()));
    }
    if (fireRows + deliveryRows > 0) {
      log.info(
          "deleted {} job fire records and {} of their webhook delivery attempts older than {}"
              + " (or of deleted jobs)",
          fireRows,
          deliveryRows,
          retention.keep());
    }
    return fireRows;
  }

  private int purgeFires(long job, boolean exists, Instant cutoff) {
    Instant before = null;
    if (exists) {
      Optional<Instant> oldestKept = fires.nthNewest(job, KEEP);
      if (oldestKept.isEmpty()) {
        return 0;
      }
      before = oldestKept.get().isBefore(cutoff) ? oldestKept.get() : cutoff;
    }
    Instant bound = before;
    return retention.repeat(() -> fires.deleteBefore(job, bound, retention.batch()));
  }
}
