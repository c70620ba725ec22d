package io.nightshift.scheduler.run;

import java.util.EnumSet;
import java.util.Set;

/** Where one attempt of a step is. Allowed changes are in {@link Transitions}. */
public enum StepStatus {
  PENDING,
  RUNNING,
  WAITING_APPROVAL,
  SUCCEEDED,
  FAILED,
  TIMED_OUT,
  CANCELED,
  SKIPPED,
  DENIED,
  EXPIRED,
  ROLLED_BACK;

  private static final Set<StepStatus> FAILURES = EnumSet.of(FAILED, TIMED_OUT, DENIED, EXPIRED);

  /** The attempt ended badly (a retry may follow). */
  public boolean failure() {
    return FAILURES.contains(this);
  }

  /** The attempt has ended one way or another. */
  public boolean ended() {
    return this != PENDING && this != RUNNING && this != WAITING_APPROVAL;
  }
}
