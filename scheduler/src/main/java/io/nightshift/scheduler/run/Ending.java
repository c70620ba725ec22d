package io.nightshift.scheduler.run;

import io.nightshift.scheduler.template.OnFailure;
import java.time.Instant;

/**
 * How a run ends when nothing of it is left to run, start, skip or wait for: its final status and
 * error. Decided on a copy of the run (pure), so that the change that ends its last attempt can end
 * the run in the same transaction.
 */
record Ending(RunStatus to, String error) {

  /**
   * The run's end, or null while something of it is still to do, or when its failure starts a
   * rollback first (the engine's advance decides those).
   */
  static Ending of(Run run, Instant now) {
    if (run.attempts().stream().anyMatch(s -> s.status() == StepStatus.RUNNING)) {
      return null;
    }
    if (run.status() == RunStatus.CANCELING) {
      return new Ending(RunStatus.CANCELED, run.error());
    }
    if (run.status() != RunStatus.RUNNING && run.status() != RunStatus.WAITING_APPROVAL) {
      return null;
    }
    Progress progress = Progress.of(run.template(), run.latestByName(), now);
    if (progress.finished() == null || !progress.skip().isEmpty()) {
      return null;
    }
    boolean rollsBack =
        progress.finished() != RunStatus.SUCCEEDED
            && run.template().onFailure() == OnFailure.ROLLBACK
            && RollbackPlan.next(run.template(), run.latestByName()) != null;
    return rollsBack ? null : new Ending(progress.finished(), progress.error());
  }
}
