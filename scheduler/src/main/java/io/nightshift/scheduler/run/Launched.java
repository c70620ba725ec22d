package io.nightshift.scheduler.run;

import io.nightshift.executor.Outcome;
import java.util.concurrent.CompletableFuture;

/** A step attempt that is executing: its outcome to come, and a way to stop it. */
public interface Launched {
  CompletableFuture<Outcome> outcome();

  void cancel();

  /**
   * Stops it for {@code why} (a drain, not a person's cancel): what the step's own log says; its
   * outcome is the same as {@link #cancel()}'s.
   */
  default void stop(String why) {
    cancel();
  }
}
