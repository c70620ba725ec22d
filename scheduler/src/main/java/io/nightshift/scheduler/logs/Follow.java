package io.nightshift.scheduler.logs;

/** A live subscription to a run's lines and events; closing it stops delivery. Idempotent. */
@FunctionalInterface
public interface Follow extends AutoCloseable {
  @Override
  void close();
}
