package io.nightshift.scheduler.run;

import io.nightshift.scheduler.approval.Approval;
import io.nightshift.scheduler.approval.ApprovalStatus;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.template.StepAction;
import io.nightshift.scheduler.template.StepSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Approval steps: parks a run at one (a pending row, no thread; a timer only as a shortcut to its
 * deadline, which the sweep reads from the database on any node), and applies a decision or an
 * expiry atomically with the step's change, then moves the run on.
 */
final class ApprovalGate {
  private final EngineContext ctx;
  private final Engine engine;

  ApprovalGate(EngineContext ctx, Engine engine) {
    this.ctx = ctx;
    this.engine = engine;
  }

  /**
   * Parks an approval step: a pending row, no thread, a timer only if it has a deadline. A change
   * of {@code run} ({@link StaleRun} when it changed since); the run after it.
   */
  Run park(Run run, StepRun step, StepSpec spec, StepAction.Approval action) {
    Instant now = ctx.clock.instant();
    Instant expires = spec.timeoutSeconds() == null ? null : now.plusSeconds(spec.timeoutSeconds());
    // The message as approvers read it: $name of a parameter replaced by the run's value
    // (a secret one by ******).
    StepAction.Approval asked =
        new StepAction.Approval(
            action.approvers(),
            Substitution.text(action.message(), Params.masked(run.template(), run.params())),
            action.onTimeout());
    long id =
        ctx.approvals.park(
            run.revision(), step, asked, run.triggeredBy(), expires, ctx.settings.node(), now);
    ctx.changed();
    if (expires != null) {
      armExpiry(id, run.id(), expires);
    }
    Run after =
        run.changed(
            run.revision() + 1,
            step.started(StepStatus.WAITING_APPROVAL, ctx.settings.node(), now));
    return run.status() == RunStatus.RUNNING
        ? after.changed(after.revision(), RunStatus.WAITING_APPROVAL, null, now)
        : after;
  }

  /**
   * Decides an approval (the caller checked who may): the first decision wins, atomically with the
   * step's change; a later one is a {@link Conflict}. Then the run moves on.
   */
  Approval decide(long approvalId, String by, boolean approve, String comment) {
    Approval approval = ctx.approvals.get(approvalId);
    Approval decided;
    synchronized (ctx.lock(approval.runId())) {
      decided =
          ctx.approvals.decide(
              approvalId,
              approve ? ApprovalStatus.APPROVED : ApprovalStatus.DENIED,
              approve ? StepStatus.SUCCEEDED : StepStatus.DENIED,
              by,
              comment,
              approve ? "approval.approve" : "approval.deny",
              ctx.clock.instant());
    }
    decided(decided);
    return decided;
  }

  void expire(long approvalId) {
    Approval approval = ctx.approvals.get(approvalId);
    if (approval.status() != ApprovalStatus.PENDING) {
      return;
    }
    if (approval.expiresAt() != null && approval.expiresAt().isAfter(ctx.clock.instant())) {
      // Timers run on real time; the deadline is read with the engine's clock (the sweep finds it).
      return;
    }
    boolean approve = "approve".equals(approval.onTimeout());
    Approval decided;
    synchronized (ctx.lock(approval.runId())) {
      try {
        decided =
            ctx.approvals.decide(
                approvalId,
                ApprovalStatus.EXPIRED,
                approve ? StepStatus.SUCCEEDED : StepStatus.EXPIRED,
                "system",
                "no decision before "
                    + approval.expiresAt()
                    + "; onTimeout "
                    + approval.onTimeout(),
                "approval.expire",
                ctx.clock.instant());
      } catch (Conflict alreadyDecided) {
        return;
      }
    }
    decided(decided);
  }

  private void decided(Approval approval) {
    ctx.changed();
    ctx.work.execute(() -> ctx.safely(approval.runId(), () -> engine.advance(approval.runId())));
  }

  void armExpiry(long approvalId, long runId, Instant expiresAt) {
    long delay = Math.max(0, Duration.between(ctx.clock.instant(), expiresAt).toMillis());
    ctx.timers.schedule(
        () -> ctx.work.execute(() -> ctx.safely(runId, () -> expire(approvalId))),
        delay,
        TimeUnit.MILLISECONDS);
  }
}
