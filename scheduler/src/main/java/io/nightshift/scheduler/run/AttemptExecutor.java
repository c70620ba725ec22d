package io.nightshift.scheduler.run;

import io.nightshift.executor.LineSink;
import io.nightshift.scheduler.template.StepSpec;
import java.io.IOException;

/**
 * The dispatch seam: what executes a step attempt, apart from the {@link Engine} that decides. It
 * is handed an attempt the engine has already recorded as RUNNING and owned (lease owner and expiry
 * on the attempt's row), reports the outcome once through {@link Launched#outcome()}, and kills on
 * request through {@link Launched#cancel()}.
 *
 * <p>The in-process executor ({@link StepLauncher}) is the first implementation. A remote agent
 * that claims attempts by long-polling over HTTP, or an SSH host, implements the same contract: the
 * engine renews the attempt's lease while the returned {@link Launched} has not completed, and a
 * report that arrives after the lease was lost is refused by the store (compare-and-set on the
 * owner), after which the engine cancels what the implementation still runs.
 */
public interface AttemptExecutor {
  /** One attempt to execute: the run it belongs to, the stored attempt and its step's spec. */
  record Attempt(Run run, StepRun step, StepSpec spec) {}

  /** The pid and start ticks of a launched process (so leftovers can be found after a crash). */
  record ProcessId(long pid, String startTicks) {}

  /** An executing attempt and, for a local process, its process group; null for HTTP or remote. */
  record Started(Launched launched, ProcessId process) {}

  /**
   * Starts the attempt; its output goes to {@code sink}. Throws when it cannot start at all (the
   * attempt then fails with "cannot start").
   */
  Started start(Attempt attempt, LineSink sink) throws IOException;

  /**
   * Whether this executor takes new attempts now; false while its node drains, when the engine
   * leaves ready attempts PENDING for another node (or this node's next start).
   */
  default java.time.Instant drainingSince() {
    return null;
  }

  default boolean accepting() {
    return true;
  }

  /**
   * Kills what an attempt of this node that was lost (found RUNNING at start, or its lease expired)
   * may still have running in containers of this executor (a step's cgroup), beyond its process
   * group; how many processes were killed.
   */
  default int killLeftovers(long stepRunId) {
    return 0;
  }

  /**
   * The attempts (step run ids) whose processes or containers an earlier incarnation of this node
   * may have left running where this executor runs them: asked at start, before any attempt was
   * handed over. Each that is not a live attempt of this node's has its leftovers killed ({@link
   * #killLeftovers}), even when another node has ended it meanwhile.
   */
  default java.util.Set<Long> leftovers() {
    return java.util.Set.of();
  }

  /** Releases what the executor holds (at shutdown). */
  default void close() {}
}
