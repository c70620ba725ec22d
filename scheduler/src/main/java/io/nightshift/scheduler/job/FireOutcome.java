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

  /**
   * The webhook event of a fire that started no run ({@code job.fire_failed}, {@code
   * job.fire_skipped}, {@code job.fire_missed}); null for a fire that started or queued a run (its
   * run's events tell the rest).
   */
  public String webhookEvent() {
    return switch (this) {
      case FAILED_TO_START -> "job.fire_failed";
      case SKIPPED_OVERLAP -> "job.fire_skipped";
      case MISFIRED -> "job.fire_missed";
      case STARTED, QUEUED -> null;
    };
  }
}
