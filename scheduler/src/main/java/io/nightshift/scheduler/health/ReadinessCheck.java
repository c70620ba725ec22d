package io.nightshift.scheduler.health;

import io.vertx.core.Future;

/** One dependency the service needs to do its work. */
public interface ReadinessCheck {
  String name();

  /** Succeeds when the dependency answers; fails with a message saying what is wrong. */
  Future<Void> check();

  /** A line shown in {@code /ready}'s {@code details} (how the part works), or null. */
  default String detail() {
    return null;
  }
}
