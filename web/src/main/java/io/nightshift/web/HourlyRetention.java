package io.nightshift.web;

import io.nightshift.scheduler.job.FireRetention;
import io.nightshift.scheduler.logs.LogRetention;
import io.nightshift.scheduler.run.RunRetention;
import io.nightshift.scheduler.store.Sql;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes what is past its retention every hour (the first time a minute after start), on a worker:
 * old runs' log lines, old job fire records (the cron log) and old ended runs (unless {@code
 * runs.retentionDays} is 0). One failing does not keep the others from their turn.
 */
final class HourlyRetention {
  private static final Logger log = LoggerFactory.getLogger(HourlyRetention.class);

  private HourlyRetention() {}

  /** {@code runs} may be null: every run is kept. */
  static void start(Vertx vertx, LogRetention lines, FireRetention fires, RunRetention runs) {
    vertx.setPeriodic(
        60_000,
        Duration.ofHours(1).toMillis(),
        id -> {
          purge(vertx, "log", lines::purge);
          purge(vertx, "job fire", fires::purge);
          if (runs != null) {
            purge(vertx, "run", runs::purge);
          }
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
