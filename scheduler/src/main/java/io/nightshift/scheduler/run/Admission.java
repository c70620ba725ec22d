package io.nightshift.scheduler.run;

import java.time.Clock;

/**
 * Stores a new run, deciding whether it starts now, waits (QUEUED) or is refused: for a run of a
 * job, under the job's row lock by its concurrency policy (one decision for fires, run-now and
 * retries; see {@code JobAdmission}); a run of no job always starts.
 */
public interface Admission {
  /** The admitted run as stored (RUNNING or QUEUED), as a read of it would return it. */
  record Admitted(Run run) {
    public long runId() {
      return run.id();
    }

    public RunStatus status() {
      return run.status();
    }
  }

  /**
   * Stores {@code run} in one transaction and says how it starts; a {@link
   * io.nightshift.scheduler.error.Conflict} naming the active run when its job forbids overlap and
   * {@code force} is false. Its creation time is read from {@code clock} once the job's row is
   * held: a request that waited for it is not stored as created before the wait.
   */
  Admitted admit(NewRun run, boolean force, Clock clock);

  /** Every run starts at once (no job policy applies). */
  static Admission direct(RunRepository runs) {
    return (run, force, clock) -> new Admitted(runs.create(run, clock.instant()));
  }
}
