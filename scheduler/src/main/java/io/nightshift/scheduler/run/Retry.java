package io.nightshift.scheduler.run;

import java.time.Duration;
import java.util.List;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries the engine's work when a database write fails for a reason that may pass (a lock wait
 * timeout, a deadlock, a dropped connection): a few times, with growing pauses ({@link
 * EngineSettings#writeRetryPauses}). The work must be safe to run again, i.e. re-read what it
 * decides on; writes are compare-and-sets.
 */
final class Retry {
  private static final Logger log = LoggerFactory.getLogger(Retry.class);
  private final List<Duration> pauses;

  Retry(List<Duration> pauses) {
    this.pauses = List.copyOf(pauses);
  }

  void onFailedWrite(Runnable work) {
    for (int attempt = 0; ; attempt++) {
      try {
        work.run();
        return;
      } catch (DataAccessException e) {
        if (attempt >= pauses.size()) {
          throw e;
        }
        log.warn("engine write failed ({}); trying again", e.getMessage());
        try {
          Thread.sleep(pauses.get(attempt).toMillis());
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }
}
