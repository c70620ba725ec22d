package io.nightshift.scheduler.logs;

import io.nightshift.scheduler.health.ReadinessCheck;
import io.vertx.core.Future;
import java.util.function.Supplier;

/**
 * /ready for the log pipeline: the bus (Redis reachable, or lines being stored in embedded mode)
 * and, in Redis mode, this node's subscriber. Fails with their detail, e.g. "redis down since
 * 2026-11-22T03:30:01.123Z (Connection refused), buffering 1234 lines in memory (bound 2000000)".
 */
public final class LogPipelineCheck implements ReadinessCheck {
  private final LogBus bus;
  private final Supplier<LogSubscriber> subscriber;

  /**
   * {@code subscriber} gives this node's current subscriber (it is replaced when restarted); null
   * in embedded mode.
   */
  public LogPipelineCheck(LogBus bus, Supplier<LogSubscriber> subscriber) {
    this.bus = bus;
    this.subscriber = subscriber;
  }

  @Override
  public String name() {
    return "logs";
  }

  @Override
  public Future<Void> check() {
    BusHealth health = bus.health();
    if (!health.ok()) {
      return Future.failedFuture(health.detail());
    }
    if (subscriber != null) {
      BusHealth persisting = subscriber.get().health();
      if (!persisting.ok()) {
        return Future.failedFuture(persisting.detail());
      }
    }
    return Future.succeededFuture();
  }
}
