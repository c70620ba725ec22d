package io.nightshift.scheduler.logs;

import io.nightshift.executor.Instants;
import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Since when the log subscriber cannot read Redis or store lines, and why: logged once when it
 * starts and once when it ends, and reported as the subscriber's {@link BusHealth}.
 */
final class SubscriberHealth {
  private static final Logger log = LoggerFactory.getLogger(SubscriberHealth.class);

  private final Clock clock;
  private volatile Instant redisDownSince;
  private volatile Instant databaseDownSince;
  private volatile String lastError;

  SubscriberHealth(Clock clock) {
    this.clock = clock;
  }

  void redisDown(RedisLink.RedisDown e) {
    lastError = e.getMessage();
    if (redisDownSince == null) {
      redisDownSince = clock.instant();
      log.warn("log subscriber cannot reach redis, retrying: {}", e.getMessage());
    }
  }

  void redisUp() {
    if (redisDownSince != null) {
      log.info("log subscriber reaches redis again");
      redisDownSince = null;
    }
  }

  /** Storing {@code lines} lines failed with {@code e}; they stay pending in Redis. */
  void databaseDown(RuntimeException e, int lines) {
    lastError = Failures.reason(e);
    if (databaseDownSince == null) {
      databaseDownSince = clock.instant();
      log.warn(
          "storing {} log lines failed, retrying (they stay pending in redis): {}",
          lines,
          lastError);
    }
  }

  void databaseUp() {
    if (databaseDownSince != null) {
      log.info("storing log lines works again");
      databaseDownSince = null;
    }
  }

  BusHealth of(boolean running) {
    Instant redis = redisDownSince;
    Instant db = databaseDownSince;
    if (redis != null) {
      return new BusHealth(
          false,
          "log subscriber cannot read redis since "
              + Instants.format(redis)
              + " ("
              + lastError
              + ")",
          0);
    }
    if (db != null) {
      return new BusHealth(
          false,
          "log subscriber cannot store lines since " + Instants.format(db) + " (" + lastError + ")",
          0);
    }
    return new BusHealth(running, running ? "log subscriber running" : "log subscriber stopped", 0);
  }
}
