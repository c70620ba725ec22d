package io.nightshift.scheduler.run;

import io.nightshift.executor.DaemonThreads;
import io.nightshift.executor.LogLine;
import io.nightshift.executor.Outcome;
import io.nightshift.executor.ProcessGroups;
import io.nightshift.scheduler.approval.Approval;
import io.nightshift.scheduler.approval.ApprovalRepository;
import io.nightshift.scheduler.approval.ApprovalStatus;
import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.logs.LogBus;
import io.nightshift.scheduler.template.OnFailure;
import io.nightshift.scheduler.template.StepAction;
import io.nightshift.scheduler.template.StepKind;
import io.nightshift.scheduler.template.StepSpec;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives runs. Event-driven: a run moves when it starts, when a step ends, when a backoff timer
 * fires or when someone cancels it; no thread waits for a run. All changes of one run happen under
 * that run's lock and go through {@link RunRepository} (compare-and-set, {@link Transitions}); the
 * database is written before a step is started or an event announced.
 */
public final class Engine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final RunRepository runs;
  private final ApprovalRepository approvals;
  private final DSLContext dsl;
  private final LogBus bus;
  private final StepLauncher launcher;
  private final EngineSettings settings;
  private final Clock clock;
  private final Map<Long, Launched> executing = new ConcurrentHashMap<>();
  private final Map<Long, Object> locks = new ConcurrentHashMap<>();
  private final List<RunListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final ExecutorService work;
  private final ScheduledExecutorService timers;

  public Engine(
      RunRepository runs,
      ApprovalRepository approvals,
      DSLContext dsl,
      LogBus bus,
      io.nightshift.executor.ProcessExecutor processes,
      io.nightshift.executor.HttpExecutor http,
      EngineSettings settings,
      Clock clock) {
    this.runs = runs;
    this.approvals = approvals;
    this.dsl = dsl;
    this.bus = bus;
    this.launcher = new StepLauncher(processes, http, settings);
    this.settings = settings;
    this.clock = clock;
    this.work = Executors.newFixedThreadPool(4, new DaemonThreads("nightshift-engine-"));
    this.timers =
        Executors.newSingleThreadScheduledExecutor(new DaemonThreads("nightshift-engine-timer-"));
  }

  /** Told about every run status change and approval event on this node. */
  public void addListener(RunListener listener) {
    listeners.add(listener);
  }

  /** Stores the run, then starts the steps that can start. */
  public Run start(NewRun request) {
    Run run = runs.create(request, clock.instant());
    announceRun(run.id(), RunStatus.RUNNING, null);
    // The caller (an HTTP request) gets the stored run at once; steps start on the engine's pool.
    work.execute(() -> safely(run.id(), () -> advance(run.id())));
    return run;
  }

  /** Starts a run already stored as RUNNING (by a scheduled fire, in the fire's transaction). */
  public void startCreated(long runId) {
    announceRun(runId, RunStatus.RUNNING, null);
    // Quartz threads only claim fires: the steps start on the engine's pool.
    work.execute(() -> safely(runId, () -> advance(runId)));
  }

  /**
   * A run a fire has just committed as QUEUED: the run it queued behind may have ended between the
   * fire's read and its commit (and found nothing queued then), so check again now.
   */
  public void queued(long runId) {
    runs.find(runId).ifPresent(run -> startNextQueued(run.job()));
  }

  /** When a job's run ends, its oldest QUEUED run (concurrency: queue) starts. */
  private void startNextQueued(String job) {
    if (job == null) {
      return;
    }
    runs.nextQueued(job)
        .ifPresent(
            next -> {
              if (runs.startQueued(next, clock.instant())) {
                work.execute(() -> safely(next, () -> startCreated(next)));
              }
            });
  }

  /**
   * A new run of a failed, canceled or timed-out run's snapshot with the same values; steps that
   * succeeded are kept, the rest run again.
   */
  public Run retry(long runId, String actor) {
    Run old = runs.get(runId);
    if (old.status() == RunStatus.SUCCEEDED || !old.status().terminal()) {
      throw new Conflict(
          "run "
              + runId
              + " is "
              + old.status()
              + "; only a failed, canceled or timed-out run can be retried");
    }
    Run retry =
        runs.create(
            new NewRun(
                old.template(),
                old.templateVersion(),
                old.job(),
                Trigger.RETRY,
                actor,
                old.params(),
                old.id()),
            clock.instant());
    for (StepRun step : old.steps()) {
      // An approval is never carried over: a retry must be approved again.
      if (step.status() == StepStatus.SUCCEEDED && step.kind() != StepKind.APPROVAL) {
        runs.copySucceeded(retry.id(), step);
      }
    }
    announceRun(retry.id(), RunStatus.RUNNING, null);
    advance(retry.id());
    return runs.get(retry.id());
  }

  /**
   * Cancels the run: pending steps are canceled, running ones killed (their whole process tree).
   */
  public Run cancel(long runId, String actor) {
    List<Launched> toKill;
    synchronized (lock(runId)) {
      Run run = runs.get(runId);
      if (run.status().terminal()) {
        throw new Conflict("run " + runId + " has already ended: " + run.status());
      }
      Instant now = clock.instant();
      runs.transition(runId, run.status(), RunStatus.CANCELED, "canceled by " + actor, now);
      for (StepRun step : run.steps()) {
        if (step.status() == StepStatus.PENDING) {
          runs.finish(
              step.id(),
              StepStatus.PENDING,
              StepStatus.CANCELED,
              null,
              "canceled by " + actor,
              0,
              0,
              now);
          announceStep(step, StepStatus.CANCELED);
        }
      }
      approvals.cancelForRun(runId, actor, now);
      // Decisions take this run's lock too: the steps waiting when it was read are those closed.
      run.steps().stream()
          .filter(s -> s.status() == StepStatus.WAITING_APPROVAL)
          .forEach(s -> announceStep(s, StepStatus.CANCELED));
      dsl.transaction(
          cfg ->
              AuditLog.write(
                  cfg.dsl(), now, actor, "run.cancel", "run", String.valueOf(runId), null));
      toKill =
          run.steps().stream()
              .filter(s -> s.status() == StepStatus.RUNNING)
              .map(s -> executing.get(s.id()))
              .filter(java.util.Objects::nonNull)
              .toList();
      announceRun(runId, RunStatus.CANCELED, "canceled by " + actor);
    }
    toKill.forEach(Launched::cancel);
    Run canceled = runs.get(runId);
    startNextQueued(canceled.job());
    return canceled;
  }

  /**
   * Start-up reconciliation: step processes this node left behind are killed and their steps failed
   * ("executor lost"); then every unfinished run moves on by its rules and backoff timers are armed
   * again.
   */
  public void recover() {
    for (long runId : runs.unfinished()) {
      try {
        synchronized (lock(runId)) {
          Run run = runs.get(runId);
          for (StepRun step : run.steps()) {
            if (step.status() == StepStatus.RUNNING && settings.node().equals(step.node())) {
              boolean killed = killLeftovers(step);
              String error =
                  "executor lost (node "
                      + step.node()
                      + " stopped"
                      + (killed ? "; its leftover process group " + step.pid() + " was killed" : "")
                      + ")";
              log.warn("run {} step {} attempt {}: {}", runId, step.name(), step.attempt(), error);
              stepEnded(run, step, StepStatus.RUNNING, StepStatus.FAILED, null, error, 0, 0);
            }
          }
        }
        if (runs.get(runId).status() == RunStatus.ROLLING_BACK) {
          recoverRollback(runId);
        } else {
          advance(runId);
        }
      } catch (RuntimeException e) {
        log.error("cannot reconcile run {}", runId, e);
      }
    }
    for (Approval pending : approvals.pendingWithDeadline()) {
      armExpiry(pending.id(), pending.runId(), pending.expiresAt());
    }
    for (String job : runs.jobsWithQueuedRuns()) {
      safely(0, () -> startNextQueued(job));
    }
  }

  /** Applies what {@link Progress} decides, until nothing more changes. */
  void advance(long runId) {
    synchronized (lock(runId)) {
      Run run = runs.get(runId);
      if (run.status() != RunStatus.RUNNING && run.status() != RunStatus.WAITING_APPROVAL) {
        forget(run);
        return;
      }
      Instant now = clock.instant();
      Progress progress = Progress.of(run.template(), run.latestByName(), now);
      while (!progress.skip().isEmpty()) {
        for (StepRun step : progress.skip()) {
          runs.finish(
              step.id(),
              StepStatus.PENDING,
              StepStatus.SKIPPED,
              null,
              "a step it needs did not succeed",
              0,
              0,
              now);
          announceStep(step, StepStatus.SKIPPED);
        }
        run = runs.get(runId);
        progress = Progress.of(run.template(), run.latestByName(), now);
      }
      for (StepRun step : progress.start()) {
        launch(run, step);
      }
      for (StepRun step : progress.waiting()) {
        long delay = Math.max(0, Duration.between(now, step.notBefore()).toMillis());
        timers.schedule(
            () -> work.execute(() -> safely(runId, () -> advance(runId))),
            delay,
            TimeUnit.MILLISECONDS);
      }
      if (progress.finished() != null) {
        finish(runs.get(runId), progress.finished(), progress.error());
      }
    }
  }

  private void launch(Run run, StepRun step) {
    StepSpec spec = run.template().step(step.name()).orElseThrow();
    if (spec.action() instanceof StepAction.Approval approval) {
      park(run, step, spec, approval);
      return;
    }
    Instant now = clock.instant();
    runs.start(step, StepStatus.RUNNING, settings.node(), now);
    announceStep(step, StepStatus.RUNNING);
    StepLauncher.Launch launch;
    try {
      launch =
          launcher.launch(
              new StepLauncher.Context(run, step, spec),
              (seq, ts, stream, text) ->
                  bus.publish(
                      new LogLine(
                          run.id(),
                          step.id(),
                          step.name(),
                          step.attempt(),
                          seq,
                          ts,
                          stream,
                          text)));
    } catch (IOException | RuntimeException e) {
      log.warn("run {} step {}: cannot start: {}", run.id(), step.name(), e.toString());
      stepEnded(
          run,
          step,
          StepStatus.RUNNING,
          StepStatus.FAILED,
          null,
          "cannot start: " + e.getMessage(),
          0,
          0);
      // No outcome will come to move the run on: look again once this pass is done.
      work.execute(() -> safely(run.id(), () -> advance(run.id())));
      return;
    }
    if (launch.process() != null) {
      runs.recordProcess(step.id(), launch.process().pid(), launch.process().startTicks());
    }
    executing.put(step.id(), launch.launched());
    launch
        .launched()
        .outcome()
        .whenCompleteAsync(
            (outcome, failure) ->
                safely(run.id(), () -> finished(run.id(), step, outcome, failure)),
            work);
  }

  private void finished(long runId, StepRun step, Outcome outcome, Throwable failure) {
    executing.remove(step.id());
    synchronized (lock(runId)) {
      Run run = runs.get(runId);
      StepStatus to;
      String error;
      Integer exitCode = null;
      long lines = 0;
      long dropped = 0;
      if (failure != null) {
        to = StepStatus.FAILED;
        error = "executor failed: " + failure;
      } else {
        to = stepStatus(outcome);
        error = outcome.error();
        exitCode = outcome.exitCode();
        lines = outcome.lines();
        dropped = outcome.dropped();
      }
      stepEnded(run, step, StepStatus.RUNNING, to, exitCode, error, lines, dropped);
    }
    advance(runId);
  }

  /** Records the end of an attempt and, for a failure with retries left, adds the next attempt. */
  private void stepEnded(
      Run run,
      StepRun step,
      StepStatus from,
      StepStatus to,
      Integer exitCode,
      String error,
      long lines,
      long dropped) {
    Instant now = clock.instant();
    error = maskSecrets(run, error);
    if (!runs.finish(step.id(), from, to, exitCode, error, lines, dropped, now)) {
      return;
    }
    announceStep(step, to);
    StepSpec spec = run.template().step(step.name()).orElseThrow();
    if (to.failure()
        && step.attempt() <= spec.retries()
        && (run.status() == RunStatus.RUNNING || run.status() == RunStatus.WAITING_APPROVAL)) {
      Instant notBefore =
          spec.retryBackoffSeconds() == 0 ? null : now.plusSeconds(spec.retryBackoffSeconds());
      runs.addAttempt(step, notBefore);
    }
  }

  /**
   * An error text with the run's secret values, raw or as substituted into a URL or JSON, masked:
   * errors may quote the command or URL that failed, and they are shown by the API.
   */
  static String maskSecrets(Run run, String error) {
    if (error == null) {
      return null;
    }
    List<String> secrets =
        StepLauncher.withSubstitutedForms(Params.secrets(run.template(), run.params())).stream()
            .filter(s -> !s.isEmpty())
            .sorted(java.util.Comparator.comparingInt(String::length).reversed())
            .toList();
    String masked = error;
    for (String secret : secrets) {
      masked = masked.replace(secret, Params.MASK);
    }
    return masked;
  }

  /**
   * Kills what a lost attempt left running: its recorded process group, and any process still
   * tagged with the attempt's id and this node (found even if the group was never recorded).
   */
  private boolean killLeftovers(StepRun step) {
    boolean killed =
        step.pid() != null
            && step.pidStartedAt() != null
            && ProcessGroups.killLeftover(step.pid(), step.pidStartedAt());
    int tagged =
        ProcessGroups.killTagged(
            Map.of(
                StepLauncher.STEP_RUN_ID, String.valueOf(step.id()),
                StepLauncher.NODE, settings.node()));
    return killed || tagged > 0;
  }

  /** Ends the run; a failure of a template with {@code onFailure: rollback} rolls back first. */
  private void finish(Run run, RunStatus outcome, String error) {
    Instant now = clock.instant();
    if (outcome == RunStatus.FAILED
        && run.template().onFailure() == OnFailure.ROLLBACK
        && RollbackPlan.next(run.template(), run.latestByName()) != null) {
      runs.transition(run.id(), run.status(), RunStatus.ROLLING_BACK, error, now);
      announceRun(run.id(), RunStatus.ROLLING_BACK, error);
      rollbackNext(run.id());
      return;
    }
    runs.transition(run.id(), run.status(), outcome, error, now);
    announceRun(run.id(), outcome, error);
    forget(runs.get(run.id()));
    startNextQueued(run.job());
  }

  /** Starts the next undo, or ends the rollback when none is left. */
  private void rollbackNext(long runId) {
    synchronized (lock(runId)) {
      Run run = runs.get(runId);
      if (run.status() != RunStatus.ROLLING_BACK) {
        return;
      }
      StepRun next = RollbackPlan.next(run.template(), run.latestByName());
      Instant now = clock.instant();
      if (next == null) {
        runs.transition(runId, RunStatus.ROLLING_BACK, RunStatus.ROLLED_BACK, run.error(), now);
        announceRun(runId, RunStatus.ROLLED_BACK, run.error());
        forget(runs.get(runId));
        startNextQueued(run.job());
        return;
      }
      StepSpec original = run.template().step(next.name()).orElseThrow();
      StepRun undo = runs.insertUndo(next, settings.node(), now);
      announceStep(undo, StepStatus.RUNNING);
      StepSpec undoSpec =
          new StepSpec(
              undo.name(),
              new StepAction.Command(original.undo()),
              List.of(),
              original.timeoutSeconds(),
              0,
              0,
              false,
              null);
      StepLauncher.Launch launch;
      try {
        launch = launcher.launch(new StepLauncher.Context(run, undo, undoSpec), sinkFor(run, undo));
      } catch (IOException | RuntimeException e) {
        undoEnded(run, next, undo, StepStatus.FAILED, null, "cannot start: " + e.getMessage(), 0);
        return;
      }
      if (launch.process() != null) {
        runs.recordProcess(undo.id(), launch.process().pid(), launch.process().startTicks());
      }
      executing.put(undo.id(), launch.launched());
      launch
          .launched()
          .outcome()
          .whenCompleteAsync(
              (outcome, failure) ->
                  safely(runId, () -> undoFinished(runId, next, undo, outcome, failure)),
              work);
    }
  }

  private void undoFinished(
      long runId, StepRun original, StepRun undo, Outcome outcome, Throwable failure) {
    executing.remove(undo.id());
    synchronized (lock(runId)) {
      Run run = runs.get(runId);
      if (failure != null) {
        undoEnded(run, original, undo, StepStatus.FAILED, null, "executor failed: " + failure, 0);
      } else {
        undoEnded(
            run,
            original,
            undo,
            stepStatus(outcome),
            outcome.exitCode(),
            outcome.error(),
            outcome.lines());
      }
    }
  }

  private void undoEnded(
      Run run,
      StepRun original,
      StepRun undo,
      StepStatus to,
      Integer exitCode,
      String error,
      long lines) {
    Instant now = clock.instant();
    runs.finish(
        undo.id(), StepStatus.RUNNING, to, exitCode, maskSecrets(run, error), lines, 0, now);
    announceStep(undo, to);
    if (to == StepStatus.SUCCEEDED) {
      runs.rolledBack(original, now);
      announceStep(original, StepStatus.ROLLED_BACK);
      work.execute(() -> safely(run.id(), () -> rollbackNext(run.id())));
      return;
    }
    String failure =
        "undo of step '"
            + original.name()
            + "' "
            + to.name().toLowerCase(java.util.Locale.ROOT)
            + (error == null ? "" : ": " + maskSecrets(run, error));
    runs.transition(run.id(), RunStatus.ROLLING_BACK, RunStatus.ROLLBACK_FAILED, failure, now);
    announceRun(run.id(), RunStatus.ROLLBACK_FAILED, failure);
    forget(runs.get(run.id()));
    startNextQueued(run.job());
  }

  /** A rollback interrupted by a crash: a lost undo fails the rollback; otherwise it goes on. */
  private void recoverRollback(long runId) {
    synchronized (lock(runId)) {
      Run run = runs.get(runId);
      for (StepRun attempt : run.attempts()) {
        if (attempt.name().startsWith(RunRepository.UNDO_PREFIX)
            && attempt.status() == StepStatus.RUNNING
            && settings.node().equals(attempt.node())) {
          killLeftovers(attempt);
          StepRun original =
              run.latestByName().get(attempt.name().substring(RunRepository.UNDO_PREFIX.length()));
          undoEnded(run, original, attempt, StepStatus.FAILED, null, "executor lost", 0);
          return;
        }
      }
    }
    rollbackNext(runId);
  }

  /** Parks an approval step: a pending row, no thread, a timer only if it has a deadline. */
  private void park(Run run, StepRun step, StepSpec spec, StepAction.Approval action) {
    Instant now = clock.instant();
    Instant expires = spec.timeoutSeconds() == null ? null : now.plusSeconds(spec.timeoutSeconds());
    long id = approvals.park(step, action, run.triggeredBy(), expires, settings.node(), now);
    announceStep(step, StepStatus.WAITING_APPROVAL);
    bus.publishEvent(
        new JsonObject()
            .put("type", "approval")
            .put("event", "requested")
            .put("approvalId", id)
            .put("runId", run.id())
            .put("step", step.name())
            .put("ts", io.nightshift.executor.Instants.format(now)));
    if (expires != null) {
      armExpiry(id, run.id(), expires);
    }
    Approval requested = approvals.get(id);
    listeners.forEach(l -> l.approvalChanged("approval.requested", requested));
  }

  /**
   * Decides an approval (the caller checked who may): the first decision wins, atomically with the
   * step's change; a later one is a {@link Conflict}. Then the run moves on.
   */
  public Approval decide(long approvalId, String by, boolean approve, String comment) {
    Approval approval = approvals.get(approvalId);
    Approval decided;
    synchronized (lock(approval.runId())) {
      decided =
          approvals.decide(
              approvalId,
              approve ? ApprovalStatus.APPROVED : ApprovalStatus.DENIED,
              approve ? StepStatus.SUCCEEDED : StepStatus.DENIED,
              by,
              comment,
              approve ? "approval.approve" : "approval.deny",
              clock.instant());
    }
    decided(decided);
    return decided;
  }

  private void expire(long approvalId) {
    Approval approval = approvals.get(approvalId);
    if (approval.status() != ApprovalStatus.PENDING) {
      return;
    }
    boolean approve = "approve".equals(approval.onTimeout());
    Approval decided;
    synchronized (lock(approval.runId())) {
      try {
        decided =
            approvals.decide(
                approvalId,
                ApprovalStatus.EXPIRED,
                approve ? StepStatus.SUCCEEDED : StepStatus.EXPIRED,
                "system",
                "no decision before "
                    + approval.expiresAt()
                    + "; onTimeout "
                    + approval.onTimeout(),
                "approval.expire",
                clock.instant());
      } catch (Conflict alreadyDecided) {
        return;
      }
    }
    decided(decided);
  }

  private void decided(Approval approval) {
    StepStatus stepStatus;
    if (approval.status() == ApprovalStatus.APPROVED) {
      stepStatus = StepStatus.SUCCEEDED;
    } else if (approval.status() == ApprovalStatus.DENIED) {
      stepStatus = StepStatus.DENIED;
    } else {
      stepStatus =
          "approve".equals(approval.onTimeout()) ? StepStatus.SUCCEEDED : StepStatus.EXPIRED;
    }
    Run run = runs.get(approval.runId());
    run.attempt(approval.stepRunId()).ifPresent(step -> announceStep(step, stepStatus));
    bus.publishEvent(
        new JsonObject()
            .put("type", "approval")
            .put("event", approval.status() == ApprovalStatus.EXPIRED ? "expired" : "decided")
            .put("approvalId", approval.id())
            .put("runId", approval.runId())
            .put("step", approval.step())
            .put("status", approval.status().name())
            .put("decidedBy", approval.decidedBy())
            .put("ts", io.nightshift.executor.Instants.format(clock.instant())));
    String event =
        approval.status() == ApprovalStatus.EXPIRED ? "approval.expired" : "approval.decided";
    listeners.forEach(l -> l.approvalChanged(event, approval));
    work.execute(() -> safely(approval.runId(), () -> advance(approval.runId())));
  }

  private void armExpiry(long approvalId, long runId, Instant expiresAt) {
    long delay = Math.max(0, Duration.between(clock.instant(), expiresAt).toMillis());
    timers.schedule(
        () -> work.execute(() -> safely(runId, () -> expire(approvalId))),
        delay,
        TimeUnit.MILLISECONDS);
  }

  private io.nightshift.executor.LineSink sinkFor(Run run, StepRun step) {
    return (seq, ts, stream, text) ->
        bus.publish(
            new LogLine(run.id(), step.id(), step.name(), step.attempt(), seq, ts, stream, text));
  }

  private static StepStatus stepStatus(Outcome outcome) {
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

  private void announceStep(StepRun step, StepStatus status) {
    bus.publishEvent(
        new JsonObject()
            .put("type", "step")
            .put("runId", step.runId())
            .put("stepRunId", step.id())
            .put("step", step.name())
            .put("attempt", step.attempt())
            .put("status", status.name())
            .put("ts", io.nightshift.executor.Instants.format(clock.instant())));
  }

  private void announceRun(long runId, RunStatus status, String error) {
    bus.publishEvent(
        new JsonObject()
            .put("type", "run")
            .put("runId", runId)
            .put("status", status.name())
            .put("error", error)
            .put("ts", io.nightshift.executor.Instants.format(clock.instant())));
    for (RunListener listener : listeners) {
      try {
        listener.runChanged(runId, status, error);
      } catch (RuntimeException e) {
        log.warn("run {}: a listener failed", runId, e);
      }
    }
  }

  private Object lock(long runId) {
    return locks.computeIfAbsent(runId, id -> new Object());
  }

  private void forget(Run run) {
    if (run.status().terminal()
        && run.steps().stream().noneMatch(s -> executing.containsKey(s.id()))) {
      locks.remove(run.id());
    }
  }

  private static void safely(long runId, Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      log.error("run {}: engine step failed", runId, e);
    }
  }

  /** Steps executing on this node right now (an approval that waits holds none). */
  public int executingSteps() {
    return executing.size();
  }

  @Override
  public void close() {
    timers.shutdownNow();
    // Queued decisions are dropped: every unfinished run is advanced again by recover() at start.
    work.shutdownNow();
    try {
      work.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
