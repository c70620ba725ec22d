package io.nightshift.scheduler.health;

import io.nightshift.executor.Cgroups;
import io.vertx.core.Future;

/**
 * Always up; its detail says how step processes are contained (a cgroup per step, or the process
 * group fallback and why), so an operator sees a weaker sandbox in {@code /ready}.
 */
public final class ExecutorCheck implements ReadinessCheck {
  private final Cgroups cgroups;

  public ExecutorCheck(Cgroups cgroups) {
    this.cgroups = cgroups;
  }

  @Override
  public String name() {
    return "executor";
  }

  @Override
  public Future<Void> check() {
    return Future.succeededFuture();
  }

  @Override
  public String detail() {
    return "steps contained by " + cgroups.method();
  }
}
