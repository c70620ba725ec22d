package io.nightshift.scheduler.run;

import io.nightshift.scheduler.template.OnFailure;
import io.nightshift.scheduler.template.StepAction;
import io.nightshift.scheduler.template.StepSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Moves a run on by what {@link Progress} decides on a copy of it: skips the steps that cannot run
 * any more, parks approvals, starts the steps that can start together in one change, arms timers
 * for backoffs, and ends the run (or starts its rollback) when nothing is left; each change checked
 * by the run's revision.
 */
final class Advancing {
  private final EngineContext ctx;
  private final Engine engine;
  private final Attempts attempts;
  private final Rollback rollback;
  private final ApprovalGate gate;

  Advancing(
      EngineContext ctx, Engine engine, Attempts attempts, Rollback rollback, ApprovalGate gate) {
    this.ctx = ctx;
    this.engine = engine;
    this.attempts = attempts;
    this.rollback = rollback;
    this.gate = gate;
  }

  /**
   * Like {@link #advance(long)}, deciding on {@code known} (this node's copy of the run after its
   * last write) instead of reading the run again; null: read it.
   */
  void advance(long runId, Run known) {
    synchronized (ctx.lock(runId)) {
      ctx.decide(runId, known, this::advanceOnce);
    }
  }

  private Void advanceOnce(Run run) {
    if (run.status() == RunStatus.CANCELING) {
      canceled(run);
      return null;
    }
    if (run.status() != RunStatus.RUNNING && run.status() != RunStatus.WAITING_APPROVAL) {
      ctx.forget(run);
      return null;
    }
    Instant now = ctx.clock.instant();
    Progress progress = Progress.of(run.template(), run.latestByName(), now);
    while (!progress.skip().isEmpty()) {
      StepRun[] skipped =
          progress.skip().stream()
              .map(
                  step ->
                      step.ended(
                          StepStatus.SKIPPED, null, "a step it needs did not succeed", 0, 0, now))
              .toArray(StepRun[]::new);
      List<StepRun> skip = progress.skip();
      ctx.runs.change(
          run,
          tx -> {
            for (StepRun step : skip) {
              tx.finish(
                  step,
                  StepStatus.PENDING,
                  StepStatus.SKIPPED,
                  null,
                  "a step it needs did not succeed",
                  0,
                  0,
                  now);
            }
            return null;
          });
      ctx.changed();
      run = run.changed(run.revision() + 1, skipped);
      progress = Progress.of(run.template(), run.latestByName(), now);
    }
    // Approvals park the run, each on its own; the other steps start in one change.
    List<StepRun> launch = new java.util.ArrayList<>();
    for (StepRun step : progress.start()) {
      StepSpec spec = run.template().step(step.name()).orElseThrow();
      if (spec.action() instanceof StepAction.Approval approval) {
        run = gate.park(run, step, spec, approval);
      } else {
        launch.add(step);
      }
    }
    if (!launch.isEmpty()) {
      Run after = attempts.launch(run, launch);
      if (after == null) {
        // This node drains: the steps stay PENDING for another node or the next start.
        ctx.remember(run);
        return null;
      }
      run = after;
      if (run.status().terminal()) {
        return null;
      }
    }
    long runId = run.id();
    for (StepRun step : progress.waiting()) {
      long delay = Math.max(0, Duration.between(now, step.notBefore()).toMillis());
      ctx.timers.schedule(
          () -> ctx.work.execute(() -> ctx.safely(runId, () -> advance(runId, null))),
          delay,
          TimeUnit.MILLISECONDS);
    }
    if (progress.finished() != null) {
      finish(run, progress.finished(), progress.error());
    } else {
      ctx.remember(run);
    }
    return null;
  }

  /**
   * A CANCELING run becomes CANCELED once none of its attempts runs any more (on any node): a run
   * is never over while a process of it still runs.
   */
  private void canceled(Run run) {
    if (run.attempts().stream().anyMatch(s -> s.status() == StepStatus.RUNNING)) {
      return;
    }
    ended(run, RunStatus.CANCELED, run.error());
  }

  /**
   * Ends the run; a failure (or time-out) of a template with {@code onFailure: rollback} rolls back
   * first.
   */
  private void finish(Run run, RunStatus outcome, String error) {
    if ((outcome == RunStatus.FAILED || outcome == RunStatus.TIMED_OUT)
        && run.template().onFailure() == OnFailure.ROLLBACK
        && RollbackPlan.next(run.template(), run.latestByName()) != null) {
      Instant now = ctx.clock.instant();
      RunStatus from = run.status();
      ctx.runs.change(
          run,
          tx -> {
            tx.transition(run.id(), from, RunStatus.ROLLING_BACK, error, now);
            return null;
          });
      ctx.changed();
      rollback.rollbackNext(run.id());
      return;
    }
    ended(run, outcome, error);
  }

  /** The run's final status, decided on {@code run}; then the job's next queued run may start. */
  private void ended(Run run, RunStatus outcome, String error) {
    Instant now = ctx.clock.instant();
    RunStatus from = run.status();
    ctx.runs.change(
        run,
        tx -> {
          tx.transition(run.id(), from, outcome, error, now);
          return null;
        });
    ctx.changed();
    engine.ended(run.changed(run.revision() + 1, outcome, error, now));
  }
}
