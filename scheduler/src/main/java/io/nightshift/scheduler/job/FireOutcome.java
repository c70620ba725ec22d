package io.nightshift.scheduler.job;

import java.util.Locale;

/** What became of a scheduled fire. */
public enum FireOutcome {
  STARTED,
  SKIPPED_OVERLAP,
  QUEUED,
  MISFIRED,
  FAILED_TO_START;

  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }
}
