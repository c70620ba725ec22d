package io.nightshift.scheduler.run;

/** Where a run is. Allowed changes are in {@link Transitions}. */
public enum RunStatus {
  QUEUED,
  RUNNING,
  WAITING_APPROVAL,
  /** Canceled, but an attempt of it still runs: it becomes CANCELED when the last one ended. */
  CANCELING,
  SUCCEEDED,
  FAILED,
  CANCELED,
  TIMED_OUT,
  ROLLING_BACK,
  ROLLED_BACK,
  ROLLBACK_FAILED;

  public boolean terminal() {
    return Transitions.allowed(this).isEmpty();
  }

  /** Whether {@code name} names a terminal status (an unknown name or null does not). */
  public static boolean terminal(String name) {
    for (RunStatus status : values()) {
      if (status.name().equals(name)) {
        return status.terminal();
      }
    }
    return false;
  }
}
