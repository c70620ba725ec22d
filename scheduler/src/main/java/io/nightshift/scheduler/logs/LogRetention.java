package io.nightshift.scheduler.logs;

import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes log lines older than the retention period, in batches. One periodic duty: the caller runs
 * {@link #purge()} on a worker thread from a timer (it is blocking JDBC).
 */
public final class LogRetention {
  private static final Logger log = LoggerFactory.getLogger(LogRetention.class);

  private final LogStore store;
  private final Duration keep;
  private final int batch;
  private final Clock clock;

  public LogRetention(LogStore store, Duration keep, int batch, Clock clock) {
    if (keep.isNegative() || keep.isZero()) {
      throw new IllegalArgumentException("retention must be positive, got " + keep);
    }
    this.store = store;
    this.keep = keep;
    this.batch = batch;
    this.clock = clock;
  }

  /** Deletes what is older than now minus the retention; returns the number of lines deleted. */
  public int purge() {
    int deleted = store.deleteOlderThan(clock.instant().minus(keep), batch);
    if (deleted > 0) {
      log.info("deleted {} log lines older than {}", deleted, keep);
    }
    return deleted;
  }
}
