package io.nightshift.scheduler.run;

import io.nightshift.executor.LogLine;
import io.nightshift.executor.Outcome;
import io.nightshift.scheduler.store.Sql;
import io.nightshift.scheduler.template.StepSpec;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The attempts this node instance executes: records an attempt as RUNNING and leased to this
 * instance, hands it to the {@link AttemptExecutor}, watches it, and records its end (with the next
 * attempt when a retry applies) in one transaction; a late report of a lost attempt is refused.
 */
final class Attempts {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final EngineContext ctx;
  private final Engine engine;
  private final EndRecording ends;

  Attempts(EngineContext ctx, Engine engine, EndRecording ends) {
    this.ctx = ctx;
    this.engine = engine;
    this.ends = ends;
  }

  /**
   * Records the attempts as RUNNING and leased to this instance, in one change of {@code run}
   * ({@link StaleRun} when the run changed since), then hands each to the executor. The run after
   * the change, or null when this node takes no new work.
   */
  Run launch(Run run, List<StepRun> steps) {
    if (!ctx.launcher.accepting()) {
      // This node drains: the attempts stay PENDING for another node's sweep or the next start,
      // marked due now so that the sweep takes them although their siblings may still run.
      List<StepRun> unmarked = steps.stream().filter(s -> s.notBefore() == null).toList();
      try {
        if (!unmarked.isEmpty()) {
          ctx.runs.markDue(unmarked, ctx.storedNow());
        }
      } catch (RuntimeException e) {
        log.debug("run {}: ready steps not marked for other nodes: {}", run.id(), e.toString());
      }
      return null;
    }
    Instant now = ctx.storedNow();
    RunRepository.Lease lease = ctx.lease(now);
    try {
      ctx.runs.change(
          run,
          tx -> {
            for (StepRun step : steps) {
              tx.start(step, StepStatus.RUNNING, ctx.settings.node(), lease, now);
            }
            return null;
          });
    } catch (RuntimeException e) {
      if (!Sql.isConnectionError(e) || !launchedAlready(run.id(), steps, now)) {
        throw e;
      }
      // The change went through although its answer was lost: the attempts are this node's.
      log.info(
          "run {}: its attempts were recorded although the answer was lost; they start now",
          run.id());
    }
    ctx.changed();
    StepRun[] running =
        steps.stream()
            .map(step -> step.started(StepStatus.RUNNING, ctx.settings.node(), now))
            .toArray(StepRun[]::new);
    Run after = run.changed(run.revision() + 1, running);
    for (StepRun step : running) {
      execute(after, step);
    }
    return after;
  }

  /**
   * Whether {@code steps} are stored RUNNING, leased to this instance, since {@code now}: a launch
   * whose commit went through although it answered a lost connection (false when the database
   * cannot say).
   */
  private boolean launchedAlready(long runId, List<StepRun> steps, Instant now) {
    try {
      Run stored = ctx.runs.get(runId);
      return steps.stream()
          .allMatch(
              step -> stored.attempt(step.id()).map(s -> ctx.startedHere(s, now)).orElse(false));
    } catch (RuntimeException unreachable) {
      return false;
    }
  }

  /**
   * Hands a recorded attempt to the executor. A start that fails ends the attempt FAILED ("cannot
   * start"), recorded like any end once the decision that launched it is over: the other attempts
   * of the launch are handed over first, so that a failed write or a change another node made
   * meanwhile never leaves them recorded RUNNING but not executing.
   */
  private void execute(Run run, StepRun running) {
    StepSpec spec = run.template().step(running.name()).orElseThrow();
    AttemptExecutor.Started started = startOrFail(new AttemptExecutor.Attempt(run, running, spec));
    watch(running, started, end -> finished(run.id(), running, end));
  }

  /**
   * Hands a recorded attempt (a step's or an undo's) to the executor; one it cannot start is {@link
   * NotStarted}, whose outcome is that failure, to be watched and recorded like any other.
   */
  AttemptExecutor.Started startOrFail(AttemptExecutor.Attempt attempt) {
    Run run = attempt.run();
    StepRun step = attempt.step();
    try {
      return ctx.launcher.start(attempt, sinkFor(run, step));
    } catch (IOException | RuntimeException e) {
      log.warn(
          "run {} step {}: cannot start: {}",
          run.id(),
          step.name(),
          ErrorMasks.maskSecrets(run, e.toString()));
      return new AttemptExecutor.Started(new NotStarted("cannot start: " + e.getMessage()), null);
    }
  }

  /**
   * An attempt the executor could not start: its outcome is that failure ({@code error}), and there
   * is nothing to stop. Watched like a started one, so its lease is renewed until its end is
   * recorded.
   */
  private record NotStarted(String error) implements Launched {
    @Override
    public CompletableFuture<Outcome> outcome() {
      return CompletableFuture.completedFuture(
          new Outcome(Outcome.Status.FAILED, null, error, Duration.ZERO, 0, 0));
    }

    @Override
    public void cancel() {}
  }

  /**
   * Keeps an executing attempt's lease renewed until its outcome, then reports it. The process
   * group is recorded last and only for finding leftovers: failing to record it leaves the attempt
   * owned and watched (its processes also carry its id in their environment).
   */
  void watch(
      StepRun step,
      AttemptExecutor.Started started,
      java.util.function.Consumer<EndReport> report) {
    ctx.executing.put(step.id(), started.launched());
    started
        .launched()
        .outcome()
        .handle((outcome, failure) -> EndReport.of(outcome, failure, ctx.storedNow()))
        .thenAcceptAsync(
            end -> ctx.safely(step.runId(), () -> report.accept(end)),
            ctx.work.at(EnginePool.Rank.ENDING));
    if (started.process() != null) {
      try {
        ctx.runs.recordProcess(step.id(), started.process().pid(), started.process().startTicks());
      } catch (RuntimeException e) {
        log.warn(
            "step run {}: cannot record its process group {} ({}); it stays owned and tagged",
            step.id(),
            started.process().pid(),
            e.toString());
      }
    }
  }

  /**
   * An attempt's outcome, reported by the executor, recorded as {@link EndRecording} says: the
   * attempt stays in {@link EngineContext#executing} (its lease renewed) until it is recorded. The
   * decision starts from this node's copy of the run when it has one (checked by the write's
   * revision).
   */
  private void finished(long runId, StepRun step, EndReport end) {
    Run[] after = {null};
    boolean recorded =
        ends.recorded(
            step,
            end,
            () -> {
              synchronized (ctx.lock(runId)) {
                after[0] = ctx.decide(runId, ctx.cached(runId), run -> report(run, step, end));
              }
            },
            () -> finished(runId, step, end));
    if (!recorded) {
      return;
    }
    if (after[0] != null && after[0].status().terminal()) {
      engine.ended(after[0]);
    } else {
      engine.advance(runId, after[0]);
    }
  }

  private Run report(Run run, StepRun step, EndReport end) {
    StepRun current = run.attempt(step.id()).orElse(step);
    if (end.storedIn(current)) {
      // A write of this end went through although its answer was lost (the connection dropped
      // after the commit): the run as stored is the outcome of this report.
      log.info(
          "run {} step {} attempt {}: its end was recorded already (the answer to that write"
              + " was lost)",
          run.id(),
          step.name(),
          step.attempt());
      return run;
    }
    Run after = stepEnded(run, current, true, end);
    if (after == null) {
      log.warn(
          "run {} step {} attempt {}: late report refused: the attempt is no longer this"
              + " node's",
          run.id(),
          step.name(),
          step.attempt());
    }
    return after;
  }

  /**
   * Records the end of a RUNNING attempt and, for a failure with retries left, adds the next
   * attempt, in one change of {@code run} ({@link StaleRun} when the run changed since). {@code
   * guard}: {@code true} for this instance's own report (refused when it lost the lease), {@code
   * false} for an attempt found lost at start, or the {@link AttemptLeaseRepository.Expired} lease
   * the reaper saw; {@code reported.at()}: when it ended (for a report, when the executor reported
   * it, which a database outage may have kept from being recorded until later). The run after the
   * change; null when the attempt had already moved on.
   */
  Run stepEnded(Run run, StepRun step, Object guard, EndReport reported) {
    EndReport end = reported.masked(run);
    StepStatus to = end.to();
    Instant now = end.at();
    StepSpec spec = run.template().step(step.name()).orElseThrow();
    boolean again =
        to.failure()
            && step.attempt() <= spec.retries()
            && (run.status() == RunStatus.RUNNING || run.status() == RunStatus.WAITING_APPROVAL);
    StepRun endedStep =
        step.ended(to, end.exitCode(), end.error(), end.lines(), end.dropped(), now);
    Run endedRun = run.changed(run.revision() + 1, endedStep);
    Instant runEnd = lastEnd(endedRun);
    Ending[] ending = {null};
    List<StepRun> ready = new java.util.ArrayList<>();
    StepRun next =
        ctx.runs.change(
            run,
            tx -> {
              if (!end(tx, step, guard, end)) {
                return null;
              }
              if (again) {
                // Due from a stored time even without a backoff, like the steps made ready below.
                return tx.addAttempt(step, now.plusSeconds(spec.retryBackoffSeconds()));
              }
              // The last attempt to end ends the run in the same transaction.
              ending[0] = Ending.of(endedRun, now);
              if (ending[0] != null) {
                tx.transition(run.id(), run.status(), ending[0].to(), ending[0].error(), runEnd);
              } else {
                ready.clear();
                ready.addAll(markReady(tx, endedRun, now));
              }
              return step;
            });
    if (next == null) {
      // Only the revision moved on: the next decision reads the run again.
      ctx.evict(run.id());
      return null;
    }
    ctx.changed();
    Run after =
        next == step
            ? run.changed(
                run.revision() + 1,
                java.util.stream.Stream.concat(
                        java.util.stream.Stream.of(endedStep), ready.stream())
                    .toArray(StepRun[]::new))
            : run.changed(run.revision() + 1, endedStep, next);
    if (ending[0] != null) {
      after = after.changed(after.revision(), ending[0].to(), ending[0].error(), runEnd);
    }
    ctx.remember(after);
    return after;
  }

  /**
   * Marks the attempts the end recorded in {@code tx} made ready ({@code endedRun}: the run after
   * it) due from {@code now}, in the same transaction: should this node not start them (it stops,
   * or the change that starts them fails), any node's sweep does, even while their siblings run.
   * Returns them as marked.
   */
  private static List<StepRun> markReady(RunRepository tx, Run endedRun, Instant now) {
    if (endedRun.status() != RunStatus.RUNNING && endedRun.status() != RunStatus.WAITING_APPROVAL) {
      return List.of(); // a run canceling or rolling back starts none of its steps
    }
    List<StepRun> ready =
        Progress.of(endedRun.template(), endedRun.latestByName(), now).start().stream()
            .filter(s -> s.notBefore() == null)
            .map(s -> s.due(now))
            .toList();
    if (!ready.isEmpty()) {
      tx.markDue(ready, now);
    }
    return ready;
  }

  /**
   * When a run whose last attempt has just ended ends: when its last attempt ended. Ends reported
   * through a database outage are recorded later, in any order, each with its own time.
   */
  private static Instant lastEnd(Run run) {
    return run.attempts().stream()
        .map(StepRun::finishedAt)
        .filter(java.util.Objects::nonNull)
        .max(Instant::compareTo)
        .orElseThrow();
  }

  /**
   * Writes a RUNNING attempt's end (its error masked) as {@code guard} allows (see {@link
   * #stepEnded}); whether it did.
   */
  boolean end(RunRepository tx, StepRun step, Object guard, EndReport end) {
    if (guard instanceof AttemptLeaseRepository.Expired expired) {
      return tx.endExpired(expired, end);
    }
    if (Boolean.TRUE.equals(guard)) {
      return tx.finishOwned(step, ctx.self.instance(), end);
    }
    return tx.finish(
        step,
        StepStatus.RUNNING,
        end.to(),
        end.exitCode(),
        end.error(),
        end.lines(),
        end.dropped(),
        end.at());
  }

  io.nightshift.executor.LineSink sinkFor(Run run, StepRun step) {
    return (seq, ts, stream, text) ->
        ctx.bus.publish(
            new LogLine(run.id(), step.id(), step.name(), step.attempt(), seq, ts, stream, text));
  }

  /** Steps executing on this node right now (an approval that waits holds none). */
  int executingSteps() {
    return ctx.executing.size();
  }
}
