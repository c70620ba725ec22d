package io.nightshift.web;

import io.nightshift.scheduler.logs.LogRetention;
import io.nightshift.scheduler.store.Sql;
import io.vertx.core.Vertx;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Deletes old runs' log lines every hour (the first time a minute after start), on a worker. */
final class HourlyLogPurge {
  private static final Logger log = LoggerFactory.getLogger(HourlyLogPurge.class);

  private HourlyLogPurge() {}

  static void start(Vertx vertx, LogRetention retention) {
    vertx.setPeriodic(
        60_000,
        Duration.ofHours(1).toMillis(),
        id ->
            vertx
                .executeBlocking(retention::purge, false)
                .onFailure(
                    e ->
                        log.warn(
                            "log retention failed; next try in an hour: {}",
                            e.toString(),
                            Sql.traceUnlessUnavailable(e))));
  }
}
