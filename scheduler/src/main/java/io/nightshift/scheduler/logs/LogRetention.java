package io.nightshift.scheduler.logs;

import io.nightshift.scheduler.store.Retention;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes log lines older than the retention period, in batches. One periodic duty: the caller runs
 * {@link #purge()} on a worker thread from a timer (it is blocking JDBC).
 */
public final class LogRetention {
  private static final Logger log = LoggerFactory.getLogger(LogRetention.class);

  private final LogStore store;
  private final Retention retention;

  public LogRetention(LogStore store, Retention retention) {
    this.store = store;
    this.retention = retention;
  }

  /** Deletes what is older than now minus the retention; returns the number of lines deleted. */
  public int purge() {
    int deleted = store.deleteOlderThan(retention.cutoff(), retention.batch());
    if (deleted > 0) {
      log.info("deleted {} log lines older than {}", deleted, retention.keep());
    }
    return deleted;
  }
}
