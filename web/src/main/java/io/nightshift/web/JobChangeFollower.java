package io.nightshift.web;

import io.nightshift.scheduler.job.JobScheduler;
import io.nightshift.scheduler.store.Sql;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's job schedule in step with the stored jobs: job changes reach it as events (from
 * any node) and, as a safety net, through a reconcile from the database every 10 seconds; both run
 * on a worker thread.
 */
final class JobChangeFollower {
  private static final Logger log = LoggerFactory.getLogger(JobChangeFollower.class);

  private JobChangeFollower() {}

  static void start(Vertx vertx, LogPipeline logs, JobScheduler scheduler) {
    logs.bus()
        .followEvents(
            event -> {
              if ("job".equals(event.getString("type")) && event.getString("job") != null) {
                String name = event.getString("job");
                vertx
                    .executeBlocking(
                        () -> {
                          scheduler.sync(name);
                          return null;
                        },
                        false)
                    .onFailure(e -> log.warn("cannot reschedule job {}", name, e));
              }
            });
    vertx.setPeriodic(
        10_000,
        id ->
            vertx
                .executeBlocking(
                    () -> {
                      scheduler.reconcile();
                      return null;
                    },
                    false)
                .onFailure(
                    e ->
                        log.warn(
                            "job reconcile failed: {}",
                            e.toString(),
                            Sql.traceUnlessUnavailable(e))));
  }
}
