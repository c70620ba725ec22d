package io.nightshift.scheduler.run;

import io.nightshift.executor.LogLine;
import io.nightshift.executor.Outcome;
import io.nightshift.executor.ProcessGroups;
import io.nightshift.executor.WorkDirs;
import io.nightshift.scheduler.store.Sql;
import io.nightshift.scheduler.template.StepSpec;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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

  /**
   * Attempts whose end could not reach the database: kept on disk ({@link StepEndJournal}; true),
   * or not (false), until recorded.
   */
  private final Map<Long, Boolean> kept = new java.util.concurrent.ConcurrentHashMap<>();

  Attempts(EngineContext ctx, Engine engine) {
    this.ctx = ctx;
    this.engine = engine;
  }

  /**
   * Records the attempts as RUNNING and leased to this instance, in one change of {@code run}
   * ({@link StaleRun} when the run changed since), then hands each to the executor. The run after
   * the change, or null when this node takes no new work.
   */
  Run launch(Run run, List<StepRun> steps) {
    if (!ctx.launcher.accepting()) {
      // This node drains: the attempts stay PENDING for another node's sweep or the next start.
      return null;
    }
    Instant now = ctx.storedNow();
    RunRepository.Lease lease =
        new RunRepository.Lease(ctx.self.instance(), now.plus(ctx.leases.expiry()));
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
      after = execute(after, step);
      if (after.status().terminal()) {
        break;
      }
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
      for (StepRun step : steps) {
        StepRun s = stored.attempt(step.id()).orElse(null);
        if (s == null
            || s.status() != StepStatus.RUNNING
            || !now.equals(s.startedAt())
            || !ctx.self.instance().equals(ctx.attemptLeases.leaseOwner(step.id()))) {
          return false;
        }
      }
      return true;
    } catch (RuntimeException unreachable) {
      return false;
    }
  }

  /** Hands a recorded attempt to the executor; a start that fails ends the attempt FAILED. */
  private Run execute(Run run, StepRun running) {
    StepSpec spec = run.template().step(running.name()).orElseThrow();
    AttemptExecutor.Started started;
    try {
      started =
          ctx.launcher.start(
              new AttemptExecutor.Attempt(run, running, spec), sinkFor(run, running));
    } catch (IOException | RuntimeException e) {
      log.warn(
          "run {} step {}: cannot start: {}",
          run.id(),
          running.name(),
          ErrorMasks.maskSecrets(run, e.toString()));
      Run failed =
          stepEnded(
              run,
              running,
              true,
              StepStatus.FAILED,
              null,
              "cannot start: " + e.getMessage(),
              0,
              0,
              ctx.storedNow());
      if (failed != null && failed.status().terminal()) {
        engine.ended(failed);
        return failed;
      }
      // No outcome will come to move the run on: look again once this pass is done.
      long runId = run.id();
      ctx.work.execute(() -> ctx.safely(runId, () -> engine.advance(runId)));
      return failed == null ? ctx.runs.get(runId) : failed;
    }
    watch(running, started, ended -> finished(run.id(), running, ended));
    return run;
  }

  /**
   * Keeps an executing attempt's lease renewed until its outcome, then reports it. The process
   * group is recorded last and only for finding leftovers: failing to record it leaves the attempt
   * owned and watched (its processes also carry its id in their environment).
   */
  void watch(
      StepRun step, AttemptExecutor.Started started, java.util.function.Consumer<Ended> report) {
    ctx.executing.put(step.id(), started.launched());
    started
        .launched()
        .outcome()
        .handle((outcome, failure) -> new Ended(outcome, failure, ctx.storedNow()))
        .thenAcceptAsync(
            ended -> ctx.safely(step.runId(), () -> report.accept(ended)),
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
   * An attempt's outcome, reported by the executor, recorded as {@link #recorded} says: the attempt
   * stays in {@link EngineContext#executing} (its lease renewed) until it is recorded. The decision
   * starts from this node's copy of the run when it has one (checked by the write's revision).
   */
  private void finished(long runId, StepRun step, Ended ended) {
    Run[] after = {null};
    boolean recorded =
        recorded(
            step,
            ended.report(),
            () -> {
              synchronized (ctx.lock(runId)) {
                after[0] =
                    ctx.decide(runId, ctx.cached(runId), run -> report(run, step, ended.report()));
              }
            },
            () -> finished(runId, step, ended));
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
    if (alreadyRecorded(current, end.to(), end.exitCode(), end.at())) {
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
   * Whether the stored attempt already holds this report's end: the same status and exit code at
   * the same time (reported to the millisecond, as stored). An attempt failed as lost by another
   * node has its own status and time.
   */
  static boolean alreadyRecorded(StepRun stored, StepStatus to, Integer exitCode, Instant at) {
    return stored.status() == to
        && at.equals(stored.finishedAt())
        && java.util.Objects.equals(stored.exitCode(), exitCode);
  }

  /** {@link #stepEnded(Run, StepRun, Object, StepStatus, Integer, String, long, long, Instant)}. */
  Run stepEnded(Run run, StepRun step, Object guard, EndReport end) {
    return stepEnded(
        run,
        step,
        guard,
        end.to(),
        end.exitCode(),
        end.error(),
        end.lines(),
        end.dropped(),
        end.at());
  }

  /**
   * Records the end of a RUNNING attempt and, for a failure with retries left, adds the next
   * attempt, in one change of {@code run} ({@link StaleRun} when the run changed since). {@code
   * guard}: {@code true} for this instance's own report (refused when it lost the lease), {@code
   * false} for an attempt found lost at start, or the {@link AttemptLeaseRepository.Expired} lease
   * the reaper saw; {@code now}: when it ended (for a report, when the executor reported it, which
   * a database outage may have kept from being recorded until later). The run after the change;
   * null when the attempt had already moved on.
   */
  Run stepEnded(
      Run run,
      StepRun step,
      Object guard,
      StepStatus to,
      Integer exitCode,
      String error,
      long lines,
      long dropped,
      Instant now) {
    String masked = ErrorMasks.maskSecrets(run, error);
    StepSpec spec = run.template().step(step.name()).orElseThrow();
    boolean again =
        to.failure()
            && step.attempt() <= spec.retries()
            && (run.status() == RunStatus.RUNNING || run.status() == RunStatus.WAITING_APPROVAL);
    StepRun endedStep = step.ended(to, exitCode, masked, lines, dropped, now);
    Run endedRun = run.changed(run.revision() + 1, endedStep);
    Instant runEnd = lastEnd(endedRun);
    Ending[] ending = {null};
    StepRun next =
        ctx.runs.change(
            run,
            tx -> {
              if (!end(tx, step, guard, to, exitCode, masked, lines, dropped, now)) {
                return null;
              }
              if (again) {
                return tx.addAttempt(
                    step,
                    spec.retryBackoffSeconds() == 0
                        ? null
                        : now.plusSeconds(spec.retryBackoffSeconds()));
              }
              // The last attempt to end ends the run in the same transaction.
              ending[0] = Ending.of(endedRun, now);
              if (ending[0] != null) {
                tx.transition(run.id(), run.status(), ending[0].to(), ending[0].error(), runEnd);
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
            ? run.changed(run.revision() + 1, endedStep)
            : run.changed(run.revision() + 1, endedStep, next);
    if (ending[0] != null) {
      after = after.changed(after.revision(), ending[0].to(), ending[0].error(), runEnd);
    }
    ctx.remember(after);
    return after;
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

  boolean end(
      RunRepository tx,
      StepRun step,
      Object guard,
      StepStatus to,
      Integer exitCode,
      String error,
      long lines,
      long dropped,
      Instant now) {
    if (guard instanceof AttemptLeaseRepository.Expired expired) {
      return tx.endExpired(expired, to, exitCode, error, lines, dropped, now);
    }
    if (Boolean.TRUE.equals(guard)) {
      return tx.finishOwned(step, ctx.self.instance(), to, exitCode, error, lines, dropped, now);
    }
    return tx.finish(step, StepStatus.RUNNING, to, exitCode, error, lines, dropped, now);
  }

  /**
   * Kills what a lost attempt left running: its recorded process group, and any process still
   * tagged with the attempt's id and this node (found even if the group was never recorded).
   */
  boolean killLeftovers(StepRun step) {
    boolean killed =
        step.pid() != null
            && step.pidStartedAt() != null
            && ProcessGroups.killLeftover(step.pid(), step.pidStartedAt());
    int tagged =
        ProcessGroups.killTagged(
            Map.of(
                StepLauncher.STEP_RUN_ID,
                String.valueOf(step.id()),
                StepLauncher.NODE,
                ctx.settings.node(),
                StepLauncher.WORK_DIR,
                new WorkDirs(ctx.settings.workRoot()).of(step.runId()).toString()));
    // Processes that left the group and dropped the tag (setsid, env -i) are still in its cgroup.
    int contained = ctx.launcher.killLeftovers(step.id());
    return killed || tagged > 0 || contained > 0;
  }

  io.nightshift.executor.LineSink sinkFor(Run run, StepRun step) {
    return (seq, ts, stream, text) ->
        ctx.bus.publish(
            new LogLine(run.id(), step.id(), step.name(), step.attempt(), seq, ts, stream, text));
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
   * Records an attempt's end ({@code record}, retried on a failed write), then lets the attempt go:
   * true once recorded. While the database is unreachable ({@link Sql#isConnectionError}: a busy
   * pool gives up as before, its lease left to run out) the attempt stays this node's (its lease is
   * renewed as soon as the database is back) and {@code again} is handed to the pool after the next
   * successful renewal (false): an attempt that ended through an outage, however long, is recorded
   * with its own outcome, never failed as lost. From its first write that could not reach the
   * database, the end is also kept on disk ({@link StepEndJournal}), for this node's next start
   * should it be stopped before then.
   */
  boolean recorded(StepRun step, EndReport end, Runnable record, Runnable again) {
    try {
      Retry.onFailedWrite(
          () -> {
            try {
              record.run();
            } catch (RuntimeException e) {
              // Kept on disk at the first write that could not reach the database, so that a node
              // stopped while the write is still being tried does not lose the end either.
              if (Sql.isConnectionError(e) && !kept.containsKey(step.id())) {
                kept.put(step.id(), ctx.journal.keep(step, end));
              }
              throw e;
            }
          });
    } catch (RuntimeException e) {
      if (Sql.isConnectionError(e) && ctx.executing.containsKey(step.id())) {
        if (ctx.endsWaiting.put(step.id(), again) == null) {
          log.warn(
              "step run {}: its end waits for the database (recorded after the next lease"
                  + " renewal{}): {}",
              step.id(),
              Boolean.TRUE.equals(kept.get(step.id()))
                  ? ", or at this node's next start: kept on disk"
                  : "",
              e.toString());
        }
        return false;
      }
      letGo(step);
      throw e;
    }
    letGo(step);
    return true;
  }

  private void letGo(StepRun step) {
    ctx.endsWaiting.remove(step.id());
    if (kept.remove(step.id()) != null) {
      ctx.journal.drop(step.id());
    }
    ctx.executing.remove(step.id());
  }

  /**
   * How an attempt ended, as its executor reported it {@code at} (an {@code outcome}, or the {@code
   * failure} of the executor itself).
   */
  record Ended(Outcome outcome, Throwable failure, Instant at) {
    /** What is recorded of it. */
    EndReport report() {
      if (failure != null) {
        return new EndReport(StepStatus.FAILED, null, "executor failed: " + failure, 0, 0, at);
      }
      return new EndReport(
          stepStatus(outcome),
          outcome.exitCode(),
          outcome.error(),
          outcome.lines(),
          outcome.dropped(),
          at);
    }
  }

  /**
   * An attempt's end as it is recorded: its status, exit code, error (unmasked), output line counts
   * and when it ended.
   */
  record EndReport(
      StepStatus to, Integer exitCode, String error, long lines, long dropped, Instant at) {}

  /** Steps executing on this node right now (an approval that waits holds none). */
  int executingSteps() {
    return ctx.executing.size();
  }
}
