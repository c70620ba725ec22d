package io.nightshift.scheduler.run;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Attempts whose executor is gone: those this node name left running before a restart (their
 * leftover processes are killed at once) and those whose lease expired on any node. Each is failed
 * as "executor lost" (unless this node kept its end on disk through a database outage), and the
 * step's rules (retries, rollback) decide what happens next.
 */
final class LostAttempts {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final EngineContext ctx;
  private final Engine engine;
  private final Attempts attempts;
  private final Rollback rollback;
  private final Leftovers leftovers;

  LostAttempts(EngineContext ctx, Engine engine, Attempts attempts, Rollback rollback) {
    this.ctx = ctx;
    this.leftovers = new Leftovers(ctx);
    this.engine = engine;
    this.attempts = attempts;
    this.rollback = rollback;
  }

  /**
   * At start: the run's RUNNING attempts of this node name are ended and their leftover processes
   * killed, unless a live instance of the same name ({@code liveTwins}) holds them: with the end
   * this node kept on disk when the database was unreachable ({@link StepEndJournal}), else failed
   * as lost.
   */
  void ownLeftovers(long runId, Set<String> liveTwins) {
    synchronized (ctx.lock(runId)) {
      for (StepRun lost : ctx.runs.get(runId).attempts()) {
        if (lost.status() != StepStatus.RUNNING
            || !ctx.settings.node().equals(lost.node())
            || liveTwins.contains(ctx.attemptLeases.leaseOwner(lost.id()))) {
          continue;
        }
        boolean killed = leftovers.kill(lost);
        java.util.Optional<EndReport> kept = ctx.journal.find(lost);
        if (kept.isPresent()) {
          EndReport end = kept.get();
          log.info(
              "run {} step {} attempt {}: ended {} at {} while the database was unreachable;"
                  + " recorded now from the end this node kept on disk",
              runId,
              lost.name(),
              lost.attempt(),
              end.to(),
              end.at());
          ctx.decide(
              runId, null, run -> end(run, run.attempt(lost.id()).orElseThrow(), false, end));
          ctx.journal.drop(lost.id());
          continue;
        }
        String error =
            "executor lost (node "
                + lost.node()
                + " stopped"
                + (killed ? "; its leftover process group " + lost.pid() + " was killed" : "")
                + ")";
        ctx.decide(
            runId,
            null,
            run -> {
              log.warn(
                  "run {} step {} attempt {}: {}", run.id(), lost.name(), lost.attempt(), error);
              return end(
                  run, run.attempt(lost.id()).orElseThrow(), false, lostEnd(run, lost.id(), error));
            });
      }
    }
  }

  /**
   * At start, before {@link #ownLeftovers}: processes that an earlier incarnation of this node left
   * on this host ({@link AttemptExecutor#leftovers}) for attempts that are no longer its to run:
   * another node failed them as lost (and may run their retry), or their run ended or is gone. They
   * are killed. This node's RUNNING attempts are left to {@link #ownLeftovers} (a live twin's to
   * it).
   */
  void orphans() {
    for (long stepRunId : ctx.launcher.leftovers()) {
      try {
        StepRun step = ctx.runs.attempt(stepRunId);
        if (step != null
            && step.status() == StepStatus.RUNNING
            && ctx.settings.node().equals(step.node())) {
          continue;
        }
        boolean killed = step != null ? leftovers.kill(step) : leftovers.kill(stepRunId);
        if (killed) {
          log.warn(
              "step run {}{}: its processes were still running on this host, left by this node"
                  + " before it stopped; killed",
              stepRunId,
              step == null
                  ? " (no longer stored)"
                  : " (run "
                      + step.runId()
                      + " step "
                      + step.name()
                      + " attempt "
                      + step.attempt()
                      + ", "
                      + step.status()
                      + (step.error() == null ? "" : ": " + step.error())
                      + ")");
        }
      } catch (RuntimeException e) {
        log.error("step run {}: cannot look for its left-over processes", stepRunId, e);
      }
    }
  }

  /** At start, before {@link #ownLeftovers}: the attempts whose ends this node kept on disk. */
  List<Long> keptEnds() {
    return ctx.journal.kept();
  }

  /**
   * At start, after {@link #ownLeftovers}: of the ends kept before it ({@code kept}), those whose
   * attempt has ended meanwhile (recorded from the file, or by another node that failed it as lost)
   * or is gone are dropped. One still RUNNING stays kept (its run could not be reconciled now, or a
   * live instance of the same name holds it): this node's reaper or next start records it.
   */
  void dropStaleKeptEnds(List<Long> kept) {
    for (long stepRunId : kept) {
      if (ctx.executing.containsKey(stepRunId) || !ctx.journal.holds(stepRunId)) {
        continue; // a new end of this node's, or one recorded from its file just now
      }
      try {
        StepRun stored = ctx.runs.attempt(stepRunId);
        if (stored != null && stored.status() == StepStatus.RUNNING) {
          continue;
        }
        java.util.Optional<EndReport> end =
            stored == null ? java.util.Optional.empty() : ctx.journal.find(stored);
        if (end.isPresent() && end.get().storedIn(stored)) {
          log.info("step run {}: the end this node kept on disk was recorded already", stepRunId);
        } else {
          log.warn(
              "step run {}: the end this node kept on disk through a database outage was not"
                  + " recorded: the attempt had ended meanwhile ({})",
              stepRunId,
              stored == null ? "gone" : stored.status() + ", " + stored.error());
        }
        ctx.journal.drop(stepRunId);
      } catch (RuntimeException e) {
        log.warn("step run {}: cannot check its kept end now: {}", stepRunId, e.toString());
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
            "{} attempt(s) with an expired lease are left to their owners for now: this node"
                + " has reached the database for less than {} s (it started, the database was"
                + " unreachable, or its clock stepped)",
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
                    run -> {
                      StepRun step = run.attempt(expired.stepRunId()).orElseThrow();
                      // This node's own end, kept on disk while the database was unreachable.
                      java.util.Optional<EndReport> kept = ctx.journal.find(step);
                      if (kept.isPresent()) {
                        log.info(
                            "run {} step {} attempt {}: recorded from the end this node kept on"
                                + " disk",
                            run.id(),
                            step.name(),
                            step.attempt());
                        return end(run, step, expired, kept.get());
                      }
                      log.warn(
                          "run {} step {} attempt {}: {}",
                          run.id(),
                          step.name(),
                          step.attempt(),
                          error);
                      return end(run, step, expired, lostEnd(run, step.id(), error));
                    });
          }
          if (ended) {
            ctx.journal.drop(expired.stepRunId());
            engine.moveOn(expired.runId());
          }
        });
  }

  /**
   * The end of an attempt whose executor is gone: failed with {@code error}, or canceled if its run
   * was being canceled (the cancel asked for its end; only its owner was not there to kill it),
   * with the lines of it stored by then (its executor counted them; now the store does, as far as
   * they reached it).
   */
  private EndReport lostEnd(Run run, long stepRunId, String error) {
    EndReport end =
        run.status() == RunStatus.CANCELING
            ? EndReport.canceled("canceled; " + error, ctx.storedNow())
            : EndReport.failed(error, ctx.storedNow());
    try {
      return end.withLines(ctx.lines.countOfStep(stepRunId));
    } catch (RuntimeException e) {
      log.debug("step run {}: its stored lines not counted: {}", stepRunId, e.toString());
      return end;
    }
  }

  /**
   * Ends an attempt whose executor is gone ({@code guard}: false for one found at start, or the
   * expired lease seen) as {@code end} says; an undo that did not succeed fails the rollback. False
   * when the attempt had already moved on.
   */
  private boolean end(Run run, StepRun step, Object guard, EndReport end) {
    if (step.name().startsWith(RunRepository.UNDO_PREFIX)) {
      StepRun original =
          run.latestByName().get(step.name().substring(RunRepository.UNDO_PREFIX.length()));
      return rollback.undoEnded(run, original, step, guard, end);
    }
    Run after = attempts.stepEnded(run, step, guard, end);
    if (after != null && after.status().terminal()) {
      engine.ended(after);
    }
    return after != null;
  }
}
