package io.nightshift.scheduler.run;

/**
 * A decision was made on a copy of a run that is no longer current: something else (another node,
 * an approval, a cancel) changed the run since it was read. Nothing was written; read the run again
 * and decide again.
 */
public final class StaleRun extends RuntimeException {
  private final long runId;

  StaleRun(long runId, int revision) {
    super("run " + runId + " changed after revision " + revision, null, false, false);
    this.runId = runId;
  }

  public long runId() {
    return runId;
  }
}
