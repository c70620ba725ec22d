package io.nightshift.scheduler.run;

import static io.nightshift.scheduler.run.RunStatus.CANCELED;
import static io.nightshift.scheduler.run.RunStatus.CANCELING;
import static io.nightshift.scheduler.run.RunStatus.FAILED;
import static io.nightshift.scheduler.run.RunStatus.QUEUED;
import static io.nightshift.scheduler.run.RunStatus.ROLLBACK_FAILED;
import static io.nightshift.scheduler.run.RunStatus.ROLLED_BACK;
import static io.nightshift.scheduler.run.RunStatus.ROLLING_BACK;
import static io.nightshift.scheduler.run.RunStatus.RUNNING;
import static io.nightshift.scheduler.run.RunStatus.SUCCEEDED;
import static io.nightshift.scheduler.run.RunStatus.TIMED_OUT;
import static io.nightshift.scheduler.run.RunStatus.WAITING_APPROVAL;

import io.nightshift.scheduler.error.Conflict;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * THE table of allowed status changes for runs and steps, and the one guard every change goes
 * through. A status with no way out is terminal and never changes again.
 */
public final class Transitions {
  private static final Map<RunStatus, Set<RunStatus>> RUN = new EnumMap<>(RunStatus.class);
  private static final Map<StepStatus, Set<StepStatus>> STEP = new EnumMap<>(StepStatus.class);

  static {
    RUN.put(QUEUED, EnumSet.of(RUNNING, CANCELED));
    RUN.put(
        RUNNING,
        EnumSet.of(
            WAITING_APPROVAL, SUCCEEDED, FAILED, CANCELING, CANCELED, TIMED_OUT, ROLLING_BACK));
    RUN.put(
        WAITING_APPROVAL,
        EnumSet.of(RUNNING, FAILED, CANCELING, CANCELED, TIMED_OUT, ROLLING_BACK));
    // Canceled while an attempt still runs: over only once its last attempt has ended.
    RUN.put(CANCELING, EnumSet.of(CANCELED));
    // A rollback can be canceled too (an undo that hangs): its running undo is killed.
    RUN.put(ROLLING_BACK, EnumSet.of(ROLLED_BACK, ROLLBACK_FAILED, CANCELING, CANCELED));
    for (RunStatus terminal :
        EnumSet.of(SUCCEEDED, FAILED, CANCELED, TIMED_OUT, ROLLED_BACK, ROLLBACK_FAILED)) {
      RUN.put(terminal, EnumSet.noneOf(RunStatus.class));
    }

    STEP.put(
        StepStatus.PENDING,
        EnumSet.of(
            StepStatus.RUNNING,
            StepStatus.WAITING_APPROVAL,
            StepStatus.SKIPPED,
            StepStatus.CANCELED,
            StepStatus.FAILED));
    STEP.put(
        StepStatus.RUNNING,
        EnumSet.of(
            StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.TIMED_OUT, StepStatus.CANCELED));
    STEP.put(
        StepStatus.WAITING_APPROVAL,
        EnumSet.of(
            StepStatus.SUCCEEDED, StepStatus.DENIED, StepStatus.EXPIRED, StepStatus.CANCELED));
    STEP.put(StepStatus.SUCCEEDED, EnumSet.of(StepStatus.ROLLED_BACK));
    for (StepStatus terminal :
        EnumSet.of(
            StepStatus.FAILED,
            StepStatus.TIMED_OUT,
            StepStatus.CANCELED,
            StepStatus.SKIPPED,
            StepStatus.DENIED,
            StepStatus.EXPIRED,
            StepStatus.ROLLED_BACK)) {
      STEP.put(terminal, EnumSet.noneOf(StepStatus.class));
    }
  }

  private Transitions() {}

  public static Set<RunStatus> allowed(RunStatus from) {
    return RUN.get(from);
  }

  public static Set<StepStatus> allowed(StepStatus from) {
    return STEP.get(from);
  }

  /** The guard for runs: an illegal change is a {@link Conflict} naming both statuses. */
  public static void check(long runId, RunStatus from, RunStatus to) {
    if (!RUN.get(from).contains(to)) {
      throw new Conflict("run " + runId + " is " + from + " and cannot become " + to);
    }
  }

  /** The guard for steps. */
  public static void check(long stepRunId, StepStatus from, StepStatus to) {
    if (!STEP.get(from).contains(to)) {
      throw new Conflict("step run " + stepRunId + " is " + from + " and cannot become " + to);
    }
  }
}
