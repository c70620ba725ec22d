package io.nightshift.scheduler.logs;

import io.nightshift.scheduler.health.ReadinessCheck;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * /ready for the log store: one small read of the log table must answer within {@code timeout} (a
 * locked table made log reads hang while /ready stayed 200). The read runs on a worker with a JDBC
 * query timeout; the answer to /ready never waits longer than {@code timeout}. While an earlier
 * probe still hangs, no second one is started (a locked table must not take every connection).
 */
public final class LogStoreCheck implements ReadinessCheck {
  private final Vertx vertx;
  private final LogStore store;
  private final Duration timeout;
  private final AtomicBoolean probing = new AtomicBoolean();

  public LogStoreCheck(Vertx vertx, LogStore store, Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    this.vertx = vertx;
    this.store = store;
    this.timeout = timeout;
  }

  @Override
  public String name() {
    return "logStore";
  }

  @Override
  public Future<Void> check() {
    String slow = "log store (table log_line) does not answer within " + timeout.toMillis() + " ms";
    if (!probing.compareAndSet(false, true)) {
      return Future.failedFuture(slow + " (the previous probe is still waiting)");
    }
    Promise<Void> answer = Promise.promise();
    long timer = vertx.setTimer(timeout.toMillis(), id -> answer.tryFail(slow));
    vertx
        .<Void>executeBlocking(
            () -> {
              try {
                store.probe(timeout);
                return null;
              } finally {
                probing.set(false);
              }
            },
            false)
        .onComplete(
            done -> {
              vertx.cancelTimer(timer);
              if (done.succeeded()) {
                answer.tryComplete();
              } else {
                answer.tryFail("log store (table log_line) fails: " + done.cause().getMessage());
              }
            });
    return answer.future();
  }
}
