package io.nightshift.scheduler.run;

import io.nightshift.executor.LogLine;
import io.nightshift.executor.Outcome;
import io.nightshift.executor.ProcessGroups;
import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.logs.LogBus;
import io.nightshift.scheduler.template.StepKind;
import io.nightshift.scheduler.template.StepSpec;
import io.nightshift.scheduler.template.Template;
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
  private final DSLContext dsl;
  private final LogBus bus;
  private final StepLauncher launcher;
  private final EngineSettings settings;
  private final Clock clock;
  private final Map<Long, Launched> executing = new ConcurrentHashMap<>();
  private final Map<Long, Object> locks = new ConcurrentHashMap<>();
  private final ExecutorService work;
  private final ScheduledExecutorService timers;

  public Engine(
      RunRepository runs,
      DSLContext dsl,
      LogBus bus,
      io.nightshift.executor.ProcessExecutor processes,
      io.nightshift.executor.HttpExecutor http,
      EngineSettings settings,
      Clock clock) {
    this.runs = runs;
    this.dsl = dsl;
    this.bus = bus;
    this.launcher = new StepLauncher(processes, http, settings);
    this.settings = settings;
    this.clock = clock;
    this.work = Executors.newFixedThreadPool(4, daemon("nightshift-engine"));
    this.timers = Executors.newSingleThreadScheduledExecutor(daemon("nightshift-engine-timer"));
  }

  /** Stores the run, then starts the steps that can start. */
  public Run start(NewRun request) {
    refuseUnsupported(request.template());
    Run run = runs.create(request, clock.instant());
    announceRun(run.id(), RunStatus.RUNNING, null);
    advance(run.id());
    return runs.get(run.id());
  }

  /** Starts a run already stored as RUNNING (by a scheduled fire, in the fire's transaction). */
  public void startCreated(long runId) {
    announceRun(runId, RunStatus.RUNNING, null);
    advance(runId);
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
      if (step.status() == StepStatus.SUCCEEDED) {
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
              boolean killed =
                  step.pid() != null && ProcessGroups.killLeftover(step.pid(), step.pidStartedAt());
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
        advance(runId);
      } catch (RuntimeException e) {
        log.error("cannot reconcile run {}", runId, e);
      }
    }
    for (String job : runs.jobsWithQueuedRuns()) {
      safely(0, () -> startNextQueued(job));
    }
  }

  private void refuseUnsupported(Template template) {
    for (int i = 0; i < template.steps().size(); i++) {
      if (template.steps().get(i).kind() == StepKind.APPROVAL) {
        throw Invalid.of(
            "steps[" + i + "].kind",
            "approval steps cannot run yet in this version (template '" + template.name() + "')");
      }
    }
  }

  /** Applies what {@link Progress} decides, until nothing more changes. */
  void advance(long runId) {
    synchronized (lock(runId)) {
      Run run = runs.get(runId);
      if (run.status() != RunStatus.RUNNING) {
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
        runs.transition(runId, RunStatus.RUNNING, progress.finished(), progress.error(), now);
        announceRun(runId, progress.finished(), progress.error());
        forget(run);
        startNextQueued(run.job());
      }
    }
  }

  private void launch(Run run, StepRun step) {
    StepSpec spec = run.template().step(step.name()).orElseThrow();
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
        to =
            switch (outcome.status()) {
              case SUCCEEDED -> StepStatus.SUCCEEDED;
              case FAILED -> StepStatus.FAILED;
              case TIMED_OUT -> StepStatus.TIMED_OUT;
              case CANCELED -> StepStatus.CANCELED;
            };
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
    if (!runs.finish(step.id(), from, to, exitCode, error, lines, dropped, now)) {
      return;
    }
    announceStep(step, to);
    StepSpec spec = run.template().step(step.name()).orElseThrow();
    if (to.failure() && step.attempt() <= spec.retries() && run.status() == RunStatus.RUNNING) {
      Instant notBefore =
          spec.retryBackoffSeconds() == 0 ? null : now.plusSeconds(spec.retryBackoffSeconds());
      runs.addAttempt(step, notBefore);
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

  /** Steps executing on this node right now. */
  public int executingSteps() {
    return executing.size();
  }

  @Override
  public void close() {
    timers.shutdownNow();
    work.shutdown();
    try {
      work.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
