package io.nightshift.scheduler.run;

import io.nightshift.scheduler.store.Sql;
import io.nightshift.scheduler.template.StepAction;
import io.nightshift.scheduler.template.StepSpec;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolls a failed run back: the undo of each step that succeeded, newest first ({@link RollbackPlan}
 * decides), one at a time; an undo's end and its consequence (the step ROLLED_BACK, or the run
 * ROLLBACK_FAILED) are one transaction.
 */
final class Rollback {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final EngineContext ctx;
  private final Engine engine;
  private final Attempts attempts;
  private final EndRecording ends;

  Rollback(EngineContext ctx, Engine engine, Attempts attempts, EndRecording ends) {
    this.ctx = ctx;
    this.engine = engine;
    this.attempts = attempts;
    this.ends = ends;
  }

  /** Starts the next undo, or ends the rollback when none is left. */
  void rollbackNext(long runId) {
    synchronized (ctx.lock(runId)) {
      Run run = ctx.runs.get(runId);
      if (run.status().terminal()) {
        // Ended by an earlier pass whose answer was lost (or by another node): what follows an end
        // is harmless to repeat.
        engine.ended(run);
        return;
      }
      if (run.status() == RunStatus.CANCELING
          && run.attempts().stream().noneMatch(s -> s.status() == StepStatus.RUNNING)) {
        // Canceled while this undo ended: nothing runs any more, so the run is over.
        engine.advance(runId, run);
        return;
      }
      if (run.status() != RunStatus.ROLLING_BACK
          || run.attempts().stream().anyMatch(s -> s.status() == StepStatus.RUNNING)) {
        return;
      }
      StepRun next = RollbackPlan.next(run.template(), run.latestByName());
      Instant now = ctx.storedNow();
      if (next != null && !ctx.launcher.accepting()) {
        return;
      }
      if (next == null) {
        ctx.runs.transition(runId, RunStatus.ROLLING_BACK, RunStatus.ROLLED_BACK, run.error(), now);
        ctx.changed();
        ctx.forget(ctx.runs.get(runId));
        engine.startNextQueued(run.job());
        return;
      }
      StepSpec original = run.template().step(next.name()).orElseThrow();
      StepRun undo = insertUndo(runId, next, now);
      if (undo == null) {
        // Started by another node, or the rollback was canceled meanwhile: a CANCELING run with
        // nothing running any more becomes CANCELED on the engine's usual path.
        engine.advance(runId, null);
        return;
      }
      ctx.changed();
      StepSpec undoSpec =
          new StepSpec(
              undo.name(),
              new StepAction.Command(original.undo()),
              List.of(),
              original.timeoutSeconds(),
              0,
              0,
              false,
              null,
              null);
      AttemptExecutor.Started started =
          attempts.startOrFail(new AttemptExecutor.Attempt(run, undo, undoSpec));
      attempts.watch(undo, started, ended -> undoFinished(runId, next, undo, ended));
    }
  }

  /**
   * Stores the undo of {@code original} RUNNING and leased to this instance; an insert whose commit
   * went through although it answered a lost connection is found and taken as done.
   */
  private StepRun insertUndo(long runId, StepRun original, Instant now) {
    try {
      return ctx.runs.atomically(
          tx -> tx.insertUndo(original, ctx.settings.node(), ctx.lease(now), now));
    } catch (RuntimeException e) {
      if (e instanceof org.jooq.exception.DataAccessException d && Sql.isDuplicateKey(d)) {
        log.info(
            "run {}: the undo of step {} was started by another node meanwhile",
            runId,
            original.name());
        return null;
      }
      StepRun stored = Sql.isConnectionError(e) ? insertedAlready(runId, original, now) : null;
      if (stored == null) {
        throw e;
      }
      return stored;
    }
  }

  /**
   * The undo of {@code original} stored RUNNING since {@code now} and leased to this instance: an
   * insert whose commit went through although it answered a lost connection; null when there is
   * none (or the database cannot say).
   */
  private StepRun insertedAlready(long runId, StepRun original, Instant now) {
    try {
      return ctx.runs.get(runId).attempts().stream()
          .filter(s -> s.name().equals(RunRepository.UNDO_PREFIX + original.name()))
          .filter(s -> ctx.startedHere(s, now))
          .findFirst()
          .orElse(null);
    } catch (RuntimeException unreachable) {
      return null;
    }
  }

  private void undoFinished(long runId, StepRun original, StepRun undo, EndReport end) {
    ends.recorded(
        undo,
        end,
        () -> {
          synchronized (ctx.lock(runId)) {
            undoEnded(ctx.runs.get(runId), original, undo, true, end);
          }
        },
        () -> undoFinished(runId, original, undo, end));
  }

  /**
   * Records an undo's end with its consequence in one transaction, decided on the run's status read
   * under its row lock in that transaction: while ROLLING_BACK, the original step ROLLED_BACK (then
   * the next undo) or the run ROLLBACK_FAILED; once the rollback was canceled (CANCELING, by any
   * node), the original step ROLLED_BACK if the undo still succeeded, no further undo, and the run
   * CANCELED when none of its attempts runs any more. {@code reported.at()}: when the undo ended.
   * False when the undo had already moved on.
   */
  boolean undoEnded(Run run, StepRun original, StepRun undo, Object guard, EndReport reported) {
    EndReport end = reported.masked(run);
    StepStatus to = end.to();
    Instant now = end.at();
    String failure =
        "undo of step '"
            + original.name()
            + "' "
            + to.name().toLowerCase(java.util.Locale.ROOT)
            + (end.error() == null ? "" : ": " + end.error());
    RunStatus[] decided = {run.status()};
    boolean[] canceled = {false};
    boolean ended =
        ctx.runs.atomically(
            tx -> {
              RunStatus status = StepRowRepository.lockedStatus(tx.dsl(), run.id());
              decided[0] = status;
              if (!attempts.end(tx, undo, guard, end)) {
                return false;
              }
              if (to == StepStatus.SUCCEEDED) {
                tx.rolledBack(original, now);
              }
              if (status == RunStatus.CANCELING) {
                boolean last =
                    tx.get(run.id()).attempts().stream()
                        .noneMatch(s -> s.status() == StepStatus.RUNNING);
                if (last) {
                  tx.transition(
                      run.id(), RunStatus.CANCELING, RunStatus.CANCELED, run.error(), now);
                  canceled[0] = true;
                }
              } else if (to != StepStatus.SUCCEEDED) {
                tx.transition(
                    run.id(), RunStatus.ROLLING_BACK, RunStatus.ROLLBACK_FAILED, failure, now);
              }
              return true;
            });
    if (!ended
        && !(Boolean.TRUE.equals(guard) && end.storedIn(run.attempt(undo.id()).orElse(undo)))) {
      return false;
    }
    // Ended now, or by an earlier write of this report whose answer was lost: its consequence.
    ctx.changed();
    if (decided[0] == RunStatus.CANCELING) {
      // Canceled: no further undo; the run is over once its last attempt has ended.
      if (canceled[0]) {
        engine.ended(ctx.runs.get(run.id()));
      }
      return true;
    }
    if (to == StepStatus.SUCCEEDED) {
      ctx.work.execute(() -> ctx.safely(run.id(), () -> rollbackNext(run.id())));
      return true;
    }
    ctx.forget(ctx.runs.get(run.id()));
    engine.startNextQueued(run.job());
    return true;
  }
}
