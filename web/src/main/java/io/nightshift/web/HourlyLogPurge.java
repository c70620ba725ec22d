package io.nightshift.web;

import io.nightshift.scheduler.job.FireRetention;
import io.nightshift.scheduler.logs.LogRetention;
import io.nightshift.scheduler.store.Sql;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes old runs' log lines and old job fire records (the cron log) every hour (the first time a
 * minute after start), on a worker; one failing does not keep the other from its turn.
 */
final class HourlyLogPurge {
  private static final Logger log = LoggerFactory.getLogger(HourlyLogPurge.class);

  private HourlyLogPurge() {}

  static void start(Vertx vertx, LogRetention lines, FireRetention fires) {
    vertx.setPeriodic(
        60_000,
        Duration.ofHours(1).toMillis(),
        id -> {
          purge(vertx, "log", lines::purge);
          purge(vertx, "job fire", fires::purge);
        });
  }

  private static void purge(Vertx vertx, String what, Callable<Integer> purge) {
    vertx
        .executeBlocking(purge, false)
        .onFailure(
            e ->
                log.warn(
                    "{} retention failed; next try in an hour: {}",
                    what,
                    e.toString(),
                    Sql.traceUnlessUnavailable(e)));
  }
}
