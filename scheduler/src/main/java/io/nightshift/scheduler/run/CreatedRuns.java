package io.nightshift.scheduler.run;

/**
 * Where a claim of fires hands the runs it committed: the {@link Engine} starts them, or checks the
 * queue a QUEUED one joined.
 */
public interface CreatedRuns {
  /** Starts a run already stored as RUNNING (by a scheduled fire, in the fire's transaction). */
  void startCreated(long runId);

  /**
   * A run a fire has just committed as QUEUED: the run it queued behind may have ended between the
   * fire's read and its commit (and found nothing queued then), so check again now.
   */
  void queued(long runId);
}
