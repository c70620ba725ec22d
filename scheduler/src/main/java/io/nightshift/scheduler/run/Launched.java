package io.nightshift.scheduler.run;

import io.nightshift.executor.Outcome;
import java.util.concurrent.CompletableFuture;

/** A step attempt that is executing: its outcome to come, and a way to stop it. */
public interface Launched {
  CompletableFuture<Outcome> outcome();

  void cancel();
}
