package io.nightshift.scheduler.health;

import io.nightshift.scheduler.logs.BusHealth;
import io.vertx.core.Future;
import java.util.List;
import java.util.function.Supplier;

/** Log lines flow: the bus hands them on and (in Redis mode) the subscriber stores them. */
public final class LogPipelineCheck implements ReadinessCheck {
  private final List<Supplier<BusHealth>> parts;

  public LogPipelineCheck(List<Supplier<BusHealth>> parts) {
    this.parts = List.copyOf(parts);
  }

  @Override
  public String name() {
    return "logs";
  }

  @Override
  public Future<Void> check() {
    for (Supplier<BusHealth> part : parts) {
      BusHealth health = part.get();
      if (!health.ok()) {
        return Future.failedFuture(health.detail());
      }
    }
    return Future.succeededFuture();
  }
}
