package io.nightshift.scheduler.run;

import io.nightshift.scheduler.approval.ApprovalRepository;
import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.error.Conflict;
import java.time.Instant;
import java.util.List;

/**
 * Cancels a run in one transaction: pending steps and waiting approvals are canceled at once, its
 * audit record written, and the run stored CANCELED, or CANCELING while an attempt still runs (here
 * or on another node); this node's attempts are killed at once, other owners hear of it through the
 * event channel (or their database poll). The run becomes CANCELED when its last attempt has ended.
 * A run rolling back is canceled the same way: its running undo is killed and no other starts.
 */
final class Cancels {
  private final EngineContext ctx;
  private final Engine engine;

  Cancels(EngineContext ctx, Engine engine) {
    this.ctx = ctx;
    this.engine = engine;
  }

  Run cancel(long runId, String actor) {
    Decision decision;
    synchronized (ctx.lock(runId)) {
      decision = ctx.decide(runId, null, run -> decide(run, actor));
    }
    // Attempts of this node are killed now; other owners see CANCELING at their next poll.
    decision.toKill().forEach(Launched::cancel);
    Run canceled = ctx.runs.get(runId);
    if (decision.to() == RunStatus.CANCELED) {
      engine.startNextQueued(canceled.job());
    }
    return canceled;
  }

  private record Decision(RunStatus to, List<Launched> toKill) {}

  /** The cancel, as one change of {@code run} ({@link StaleRun} when it changed since). */
  private Decision decide(Run run, String actor) {
    long runId = run.id();
    if (run.status().terminal()) {
      throw new Conflict("run " + runId + " has already ended: " + run.status());
    }
    if (run.status() == RunStatus.CANCELING) {
      throw new Conflict("run " + runId + " is already being canceled");
    }
    Instant now = ctx.clock.instant();
    String reason = "canceled by " + actor;
    boolean running = run.attempts().stream().anyMatch(s -> s.status() == StepStatus.RUNNING);
    RunStatus to = running ? RunStatus.CANCELING : RunStatus.CANCELED;
    List<StepRun> closed =
        run.steps().stream()
            .filter(
                s -> s.status() == StepStatus.PENDING || s.status() == StepStatus.WAITING_APPROVAL)
            .toList();
    RunStatus from = run.status();
    ctx.runs.change(
        run,
        tx -> {
          // Steps first, the run last: followers see the run's end after its steps' changes.
          for (StepRun step : closed) {
            if (step.status() == StepStatus.PENDING) {
              tx.finish(step, StepStatus.PENDING, StepStatus.CANCELED, null, reason, 0, 0, now);
            }
          }
          // Decisions change the run's revision too: the steps waiting when it was read are
          // those closed.
          new ApprovalRepository(tx.dsl()).cancelForRun(runId, actor, now);
          tx.transition(runId, from, to, reason, now);
          AuditLog.write(tx.dsl(), now, actor, "run.cancel", "run", String.valueOf(runId), null);
          return null;
        });
    ctx.evict(runId);
    ctx.changed();
    List<Launched> toKill =
        run.attempts().stream() // undos included
            .filter(s -> s.status() == StepStatus.RUNNING)
            .map(s -> ctx.executing.get(s.id()))
            .filter(java.util.Objects::nonNull)
            .toList();
    return new Decision(to, toKill);
  }
}
