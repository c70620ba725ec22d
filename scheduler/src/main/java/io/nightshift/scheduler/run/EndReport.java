package io.nightshift.scheduler.run;

import io.nightshift.executor.Outcome;
import java.time.Instant;

/**
 * An attempt's end as it is recorded: its status, exit code, error (unmasked), output line counts
 * and when it ended (to the millisecond, as stored).
 */
record EndReport(
    StepStatus to, Integer exitCode, String error, long lines, long dropped, Instant at) {

  /**
   * What the executor reported {@code at}: an {@code outcome}, or the {@code failure} of the
   * executor itself.
   */
  static EndReport of(Outcome outcome, Throwable failure, Instant at) {
    if (failure != null) {
      return failed("executor failed: " + failure, at);
    }
    return new EndReport(
        stepStatus(outcome),
        outcome.exitCode(),
        outcome.error(),
        outcome.lines(),
        outcome.dropped(),
        at);
  }

  /** An attempt that failed with {@code error} at {@code at} (it could not start, it was lost). */
  static EndReport failed(String error, Instant at) {
    return new EndReport(StepStatus.FAILED, null, error, 0, 0, at);
  }

  /**
   * An attempt of a run being canceled that ended without its executor ({@code error} says how).
   */
  static EndReport canceled(String error, Instant at) {
    return new EndReport(StepStatus.CANCELED, null, error, 0, 0, at);
  }

  /** This end, with {@code lines} lines of output (of a lost attempt: those stored of it). */
  EndReport withLines(long lines) {
    return new EndReport(to, exitCode, error, lines, dropped, at);
  }

  /** This end with the run's secret values masked in its error (as it is stored and shown). */
  EndReport masked(Run run) {
    return new EndReport(to, exitCode, ErrorMasks.maskSecrets(run, error), lines, dropped, at);
  }

  static StepStatus stepStatus(Outcome outcome) {
    switch (outcome.status()) {
      case SUCCEEDED:
        return StepStatus.SUCCEEDED;
      case TIMED_OUT:
        return StepStatus.TIMED_OUT;
      case CANCELED:
        return StepStatus.CANCELED;
      default:
        return StepStatus.FAILED;
    }
  }

  /**
   * Whether attempt {@code stored}, as read back, already holds this end: the same status and exit
   * code at the same time. A write of it went through although its answer was lost; an attempt
   * failed as lost by another node has its own status and time.
   */
  boolean storedIn(StepRun stored) {
    return stored.status() == to
        && at.equals(stored.finishedAt())
        && java.util.Objects.equals(stored.exitCode(), exitCode);
  }
}
