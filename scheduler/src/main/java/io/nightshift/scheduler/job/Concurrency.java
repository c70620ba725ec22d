package io.nightshift.scheduler.job;

import java.util.Locale;

/** What a fire does while an earlier run of the same job has not ended. */
public enum Concurrency {
  /** Start another run anyway. */
  ALLOW,
  /** Skip this fire and record it as skipped_overlap with the running run's id. */
  FORBID,
  /** Create the run QUEUED; it starts when the running one ends. */
  QUEUE;

  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }
}
