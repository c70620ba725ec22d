package io.nightshift.scheduler.run;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attempts whose executor is gone: those this node name left running before a restart (their
 * leftover processes are killed at once) and those whose lease expired on any node. Each is failed
 * as "executor lost", and the step's rules (retries, rollback) decide what happens next.
 */
final class LostAttempts {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final EngineContext ctx;
  private final Engine engine;
  private final Attempts attempts;
  private final Rollback rollback;

  LostAttempts(EngineContext ctx, Engine engine, Attempts attempts, Rollback rollback) {
    this.ctx = ctx;
    this.engine = engine;
    this.attempts = attempts;
    this.rollback = rollback;
  }

  /**
   * At start: the run's RUNNING attempts of this node name are failed and their leftover processes
   * killed, unless a live instance of the same name ({@code liveTwins}) holds them.
   */
  void ownLeftovers(long runId, Set<String> liveTwins) {
    synchronized (ctx.lock(runId)) {
      for (StepRun lost : ctx.runs.get(runId).attempts()) {
        if (lost.status() != StepStatus.RUNNING
            || !ctx.settings.node().equals(lost.node())
            || liveTwins.contains(ctx.attemptLeases.leaseOwner(lost.id()))) {
          continue;
        }
        boolean killed = attempts.killLeftovers(lost);
        String error =
            "executor lost (node "
                + lost.node()
                + " stopped"
                + (killed ? "; its leftover process group " + lost.pid() + " was killed" : "")
                + ")";
        ctx.decide(
            runId, null, run -> end(run, run.attempt(lost.id()).orElseThrow(), false, error));
      }
    }
  }

  /**
   * Fails attempts whose owner stopped renewing their lease, then moves their runs on; none while
   * this node has not reached the database for a full lease expiry since it last could not (see
   * {@link DatabaseContact}).
   */
  void reap() {
    Instant now = ctx.clock.instant();
    List<AttemptLeaseRepository.Expired> expired;
    try {
      expired = ctx.attemptLeases.expired(now, ctx.leases.expiry());
    } catch (RuntimeException e) {
      ctx.contact.failed(e);
      throw e;
    }
    if (!ctx.contact.heldSince(now.minus(ctx.leases.expiry()))) {
      if (!expired.isEmpty()) {
        log.info(
            "{} attempt(s) with an expired lease are left to their owners for now: the database"
                + " was unreachable less than {} s ago",
            expired.size(),
            ctx.leases.expiry().toSeconds());
      }
      return;
    }
    for (AttemptLeaseRepository.Expired lost : expired) {
      reap(lost);
    }
  }

  private void reap(AttemptLeaseRepository.Expired expired) {
    ctx.safely(
        expired.runId(),
        () -> {
          String error =
              "executor lost (lease of "
                  + (expired.owner() == null ? "an older node" : expired.owner())
                  + " expired"
                  + (expired.until() == null ? "" : " at " + expired.until())
                  + ")";
          boolean ended;
          synchronized (ctx.lock(expired.runId())) {
            ended =
                ctx.decide(
                    expired.runId(),
                    null,
                    run ->
                        end(run, run.attempt(expired.stepRunId()).orElseThrow(), expired, error));
          }
          if (ended) {
            engine.moveOn(expired.runId());
          }
        });
  }

  /**
   * Fails a lost attempt ({@code guard}: false for one found at start, or the expired lease seen),
   * an undo's loss failing the rollback. False when the attempt had already moved on.
   */
  private boolean end(Run run, StepRun step, Object guard, String error) {
    log.warn("run {} step {} attempt {}: {}", run.id(), step.name(), step.attempt(), error);
    if (step.name().startsWith(RunRepository.UNDO_PREFIX)) {
      StepRun original =
          run.latestByName().get(step.name().substring(RunRepository.UNDO_PREFIX.length()));
      return rollback.undoEnded(
          run, original, step, guard, StepStatus.FAILED, null, error, 0, ctx.clock.instant());
    }
    Run after =
        attempts.stepEnded(
            run, step, guard, StepStatus.FAILED, null, error, 0, 0, ctx.clock.instant());
    if (after != null && after.status().terminal()) {
      engine.ended(after);
    }
    return after != null;
  }
}
