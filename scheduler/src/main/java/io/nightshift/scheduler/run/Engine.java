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
 * Drives runs: decides what happens on each event (a start, a cancel, a retry, a decision, an
 * attempt's outcome, something due) and hands attempts to execute to an {@link AttemptExecutor}. No
 * thread waits for a run. All changes of one run on this node happen under that run's lock and go
 * through {@link RunRepository} (compare-and-set, {@link Transitions}); what one event changes is
 * written in one transaction, before a step is started or an event announced.
 *
 * <p>Across nodes: a RUNNING attempt is leased to this node instance and the lease renewed while it
 * executes; every node fails attempts whose lease expired ("executor lost", then the step's retries
 * decide), and sweeps runs that nothing moves on any more (stalled by a crash or a failed write),
 * due backoffs, approval deadlines and queued runs from the stored times, read with the injected
 * clock. A cancel on any node makes the run CANCELING; the owner of each running attempt sees it
 * and kills the process tree; the run becomes CANCELED when its last attempt has ended.
 */
public final class Engine implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final RunRepository runs;
  private final ApprovalRepository approvals;
  private final DSLContext dsl;
  private final LogBus bus;
  private final NodeLeaseRepository nodes;
  private final AttemptExecutor launcher;
  private final EngineSettings settings;
  private final LeaseSettings leases;
  private final NodeLeaseRepository.NodeLease self;
  private final Clock clock;
  private final Map<Long, Launched> executing = new ConcurrentHashMap<>();
  private final Map<Long, Object> locks = new ConcurrentHashMap<>();
  private final EventRelay relay;
  private final Admission admission;
  private volatile io.nightshift.scheduler.logs.Follow cancels;
  private final ExecutorService work;
  private final ScheduledExecutorService timers;
  private final ScheduledExecutorService leaseTimer;

  public Engine(
      RunRepository runs,
      ApprovalRepository approvals,
      NodeLeaseRepository nodes,
      DSLContext dsl,
      LogBus bus,
      AttemptExecutor launcher,
      EngineSettings settings,
      LeaseSettings leases,
      Clock clock) {
    this(
        runs,
        approvals,
        nodes,
        dsl,
        bus,
        launcher,
        settings,
        leases,
        clock,
        Admission.direct(runs));
  }

  /** {@code admission} stores new runs (a job's concurrency policy decides in it). */
  public Engine(
      RunRepository runs,
      ApprovalRepository approvals,
      NodeLeaseRepository nodes,
      DSLContext dsl,
      LogBus bus,
      AttemptExecutor launcher,
      EngineSettings settings,
      LeaseSettings leases,
      Clock clock,
      Admission admission) {
    this.admission = admission;
    this.runs = runs;
    this.approvals = approvals;
    this.nodes = nodes;
    this.dsl = dsl;
    this.bus = bus;
    this.launcher = launcher;
    this.settings = settings;
    this.leases = leases;
    this.clock = clock;
    long pid = ProcessHandle.current().pid();
    this.self =
        new NodeLeaseRepository.NodeLease(
            java.util.UUID.randomUUID().toString(),
            settings.node(),
            hostName(),
            pid,
            ProcessGroups.startTicks(pid).orElse(null),
            null);
    this.relay =
        new EventRelay(
            dsl, bus, clock, self.instance(), leases.cancelPollEvery(), Duration.ofHours(1));
    this.work = Executors.newFixedThreadPool(4, new DaemonThreads("nightshift-engine-"));
    this.timers =
        Executors.newSingleThreadScheduledExecutor(new DaemonThreads("nightshift-engine-timer-"));
    // Renewals and cancel polls must not wait behind runs' work: their own thread.
    this.leaseTimer =
        Executors.newSingleThreadScheduledExecutor(new DaemonThreads("nightshift-engine-lease-"));
  }

  /** This node instance's id: the owner of the attempts it runs. */
  public String instance() {
    return self.instance();
  }

  private static String hostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /**
   * The relay of this node's event outbox: add webhook fan-out and listeners (metrics) to it. Every
   * change the engine writes carries its event in the same transaction; the relay announces it.
   */
  public EventRelay events() {
    return relay;
  }

  /** Stores the run, then starts the steps that can start. */
  public Run start(NewRun request) {
    return start(request, false);
  }

  /**
   * Stores the run as its job's policy admits it (a {@link Conflict} when it forbids overlap and
   * {@code force} is false), then starts the steps that can start, or leaves it QUEUED.
   */
  public Run start(NewRun request, boolean force) {
    Admission.Admitted admitted = admission.admit(request, force, clock.instant());
    changed();
    long id = admitted.runId();
    if (admitted.status() == RunStatus.QUEUED) {
      queued(id);
    } else {
      // The caller (an HTTP request) gets the stored run at once; steps start on the engine's
      // pool.
      work.execute(() -> safely(id, () -> advance(id)));
    }
    return runs.get(id);
  }

  /** Starts a run already stored as RUNNING (by a scheduled fire, in the fire's transaction). */
  public void startCreated(long runId) {
    changed();
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
    return retry(runId, actor, false);
  }

  /**
   * Like {@link #retry(long, String)}; the new run is admitted by its job's policy like a run-now
   * ({@code force} starts it although the job forbids overlap).
   */
  public Run retry(long runId, String actor, boolean force) {
    Run old = runs.get(runId);
    if (old.status() == RunStatus.SUCCEEDED || !old.status().terminal()) {
      throw new Conflict(
          "run "
              + runId
              + " is "
              + old.status()
              + "; only a failed, canceled or timed-out run can be retried");
    }
    // The new run is stored with the steps it keeps as SUCCEEDED, in one insert: never a run
    // without its kept steps. An approval is never carried over: a retry must be approved again.
    return start(
        new NewRun(
            old.template(),
            old.templateVersion(),
            old.job(),
            Trigger.RETRY,
            actor,
            old.params(),
            old.id(),
            old.steps().stream()
                .filter(
                    step ->
                        step.status() == StepStatus.SUCCEEDED && step.kind() != StepKind.APPROVAL)
                .toList()),
        force);
  }

  /**
   * Cancels the run: pending steps and waiting approvals are canceled at once; while an attempt
   * still runs (here or on another node) the run is CANCELING and the attempt's owner kills its
   * whole process tree; the run is CANCELED when its last attempt has ended.
   */
  public Run cancel(long runId, String actor) {
    List<Launched> toKill;
    RunStatus to;
    List<StepRun> closed;
    synchronized (lock(runId)) {
      Run run = runs.get(runId);
      if (run.status().terminal()) {
        throw new Conflict("run " + runId + " has already ended: " + run.status());
      }
      if (run.status() == RunStatus.CANCELING) {
        throw new Conflict("run " + runId + " is already being canceled");
      }
      Instant now = clock.instant();
      String reason = "canceled by " + actor;
      boolean running = run.attempts().stream().anyMatch(s -> s.status() == StepStatus.RUNNING);
      to = running ? RunStatus.CANCELING : RunStatus.CANCELED;
      closed =
          run.steps().stream()
              .filter(
                  s ->
                      s.status() == StepStatus.PENDING || s.status() == StepStatus.WAITING_APPROVAL)
              .toList();
      RunStatus from = run.status();
      dsl.transaction(
          cfg -> {
            RunRepository tx = runs.in(cfg.dsl());
            // Steps first, the run last: followers see the run's end after its steps' changes.
            for (StepRun step : closed) {
              if (step.status() == StepStatus.PENDING) {
                tx.finish(step, StepStatus.PENDING, StepStatus.CANCELED, null, reason, 0, 0, now);
              }
            }
            // Decisions take this run's lock too: the steps waiting when it was read are those
            // closed.
            new ApprovalRepository(cfg.dsl()).cancelForRun(runId, actor, now);
            tx.transition(runId, from, to, reason, now);
            AuditLog.write(cfg.dsl(), now, actor, "run.cancel", "run", String.valueOf(runId), null);
          });
      changed();
      toKill =
          run.steps().stream()
              .filter(s -> s.status() == StepStatus.RUNNING)
              .map(s -> executing.get(s.id()))
              .filter(java.util.Objects::nonNull)
              .toList();
    }
    // Attempts of this node are killed now; other owners see CANCELING at their next poll.
    toKill.forEach(Launched::cancel);
    Run canceled = runs.get(runId);
    if (to == RunStatus.CANCELED) {
      startNextQueued(canceled.job());
    }
    return canceled;
  }

  /**
   * Start-up reconciliation: step processes this node name left behind are killed and their steps
   * failed ("executor lost"), unless they belong to a live instance of the same name (its lease
   * holds, and on this host its process is still the one that took it); then every unfinished run
   * moves on by its rules, backoff and deadline timers are armed again, and the periodic lease
   * renewal, cancel poll and sweep start.
   */
  public void recover() {
    Instant now = clock.instant();
    heartbeat(now);
    java.util.Set<String> liveTwins = liveTwins(now);
    for (long runId : runs.unfinished()) {
      try {
        synchronized (lock(runId)) {
          Run run = runs.get(runId);
          for (StepRun step : run.attempts()) {
            if (step.status() != StepStatus.RUNNING
                || !settings.node().equals(step.node())
                || liveTwins.contains(runs.leaseOwner(step.id()))) {
              continue;
            }
            boolean killed = killLeftovers(step);
            String error =
                "executor lost (node "
                    + step.node()
                    + " stopped"
                    + (killed ? "; its leftover process group " + step.pid() + " was killed" : "")
                    + ")";
            log.warn("run {} step {} attempt {}: {}", runId, step.name(), step.attempt(), error);
            if (step.name().startsWith(RunRepository.UNDO_PREFIX)) {
              StepRun original =
                  run.latestByName().get(step.name().substring(RunRepository.UNDO_PREFIX.length()));
              undoEnded(run, original, step, false, StepStatus.FAILED, null, error, 0);
            } else {
              stepEnded(run, step, false, StepStatus.FAILED, null, error, 0, 0);
            }
          }
        }
        moveOn(runId);
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
    schedulePeriodic();
  }

  /**
   * Instances of this node's name, other than this one, that are alive: their lease holds and, when
   * they run on this host, their JVM is still the process that took the lease.
   */
  private java.util.Set<String> liveTwins(Instant now) {
    java.util.Set<String> live = new java.util.HashSet<>();
    for (NodeLeaseRepository.NodeLease other : nodes.live(now)) {
      if (other.instance().equals(self.instance()) || !other.node().equals(settings.node())) {
        continue;
      }
      boolean sameHost = other.host().equals(self.host());
      if (sameHost
          && !ProcessGroups.startTicks(other.pid())
              .map(t -> t.equals(other.pidStartedAt()))
              .orElse(false)) {
        continue;
      }
      live.add(other.instance());
    }
    return live;
  }

  private void schedulePeriodic() {
    // A cancel accepted on any node reaches this one as a CANCELING event (the DB poll below is the
    // fallback when the event channel is down).
    cancels =
        bus.followEvents(
            event -> {
              if (RunEvents.isRun(event)
                  && RunStatus.CANCELING.name().equals(event.getString("status"))
                  && !executing.isEmpty()) {
                leaseTimer.execute(() -> safely(0, this::pollCancels));
              }
            });
    long renew = leases.renewEvery().toMillis();
    leaseTimer.scheduleWithFixedDelay(
        () -> safely(0, this::renewLeases), renew, renew, TimeUnit.MILLISECONDS);
    long poll = leases.cancelPollEvery().toMillis();
    leaseTimer.scheduleWithFixedDelay(
        () -> safely(0, this::pollCancels), poll, poll, TimeUnit.MILLISECONDS);
    long sweep = leases.sweepEvery().toMillis();
    timers.scheduleWithFixedDelay(
        () -> work.execute(() -> safely(0, this::sweep)), sweep, sweep, TimeUnit.MILLISECONDS);
  }

  private void heartbeat(Instant now) {
    nodes.renew(
        new NodeLeaseRepository.NodeLease(
            self.instance(),
            self.node(),
            self.host(),
            self.pid(),
            self.pidStartedAt(),
            now.plus(leases.expiry())),
        now);
  }

  /**
   * Extends this instance's node lease and the leases of the attempts it executes; an attempt whose
   * lease it no longer holds (another node failed it as lost) is killed here.
   */
  public void renewLeases() {
    Instant now = clock.instant();
    heartbeat(now);
    List<Long> mine = List.copyOf(executing.keySet());
    java.util.Set<Long> held = runs.renew(self.instance(), mine, now.plus(leases.expiry()));
    for (long id : mine) {
      if (!held.contains(id)) {
        Launched lost = executing.remove(id);
        if (lost != null && !lost.outcome().isDone()) {
          log.warn("step run {}: this node lost its lease; killing what it still runs", id);
          lost.cancel();
        }
      }
    }
  }

  /** Kills the attempts this node executes whose run another node (or this one) is canceling. */
  public void pollCancels() {
    if (executing.isEmpty()) {
      return;
    }
    for (long id : runs.ofCancelingRuns(List.copyOf(executing.keySet()))) {
      Launched launched = executing.get(id);
      if (launched != null) {
        launched.cancel();
      }
    }
  }

  /**
   * What every node does periodically: fails attempts whose lease expired, moves stalled runs on,
   * expires approvals past their deadline and starts queued runs whose turn has come.
   */
  public void sweep() {
    reap();
    Instant now = clock.instant();
    for (long runId : runs.stalled(now, 200)) {
      safely(runId, () -> moveOn(runId));
    }
    for (Approval pending : approvals.pendingWithDeadline()) {
      if (!pending.expiresAt().isAfter(now)) {
        safely(pending.runId(), () -> expire(pending.id()));
      }
    }
    for (String job : runs.jobsWithQueuedRuns()) {
      safely(0, () -> startNextQueued(job));
    }
  }

  /** Fails attempts whose owner stopped renewing their lease; the step's rules decide what next. */
  public void reap() {
    Instant now = clock.instant();
    for (RunRepository.Expired expired : runs.expired(now, leases.expiry())) {
      safely(
          expired.runId(),
          () -> {
            String error =
                "executor lost (lease of "
                    + (expired.owner() == null ? "an older node" : expired.owner())
                    + " expired"
                    + (expired.until() == null ? "" : " at " + expired.until())
                    + ")";
            synchronized (lock(expired.runId())) {
              Run run = runs.get(expired.runId());
              StepRun step = run.attempt(expired.stepRunId()).orElseThrow();
              log.warn("run {} step {}: {}", run.id(), step.name(), error);
              if (step.name().startsWith(RunRepository.UNDO_PREFIX)) {
                StepRun original =
                    run.latestByName()
                        .get(step.name().substring(RunRepository.UNDO_PREFIX.length()));
                if (!undoEnded(run, original, step, expired, StepStatus.FAILED, null, error, 0)) {
                  return;
                }
              } else if (!stepEnded(run, step, expired, StepStatus.FAILED, null, error, 0, 0)) {
                return;
              }
            }
            moveOn(expired.runId());
          });
    }
  }

  /** Moves a run on from whatever state it is in (after a crash, a sweep or a reap). */
  void moveOn(long runId) {
    if (runs.get(runId).status() == RunStatus.ROLLING_BACK) {
      rollbackNext(runId);
    } else {
      advance(runId);
    }
  }

  /** Applies what {@link Progress} decides, until nothing more changes. */
  void advance(long runId) {
    synchronized (lock(runId)) {
      Run run = runs.get(runId);
      if (run.status() == RunStatus.CANCELING) {
        canceled(run);
        return;
      }
      if (run.status() != RunStatus.RUNNING && run.status() != RunStatus.WAITING_APPROVAL) {
        forget(run);
        return;
      }
      Instant now = clock.instant();
      Progress progress = Progress.of(run.template(), run.latestByName(), now);
      while (!progress.skip().isEmpty()) {
        List<StepRun> skip = progress.skip();
        runs.atomically(
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
        changed();
        run = runs.get(runId);
        progress = Progress.of(run.template(), run.latestByName(), now);
      }
      for (StepRun step : progress.start()) {
        if (!launch(run, step)) {
          // Another node started it first: it owns this run's next moves.
          return;
        }
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

  /**
   * A CANCELING run becomes CANCELED once none of its attempts runs any more (on any node): a run
   * is never over while a process of it still runs.
   */
  private void canceled(Run run) {
    if (run.attempts().stream().anyMatch(s -> s.status() == StepStatus.RUNNING)) {
      return;
    }
    runs.transition(
        run.id(), RunStatus.CANCELING, RunStatus.CANCELED, run.error(), clock.instant());
    changed();
    forget(runs.get(run.id()));
    startNextQueued(run.job());
  }

  /**
   * Records the attempt as RUNNING and leased to this instance, then hands it to the executor.
   * False when another node started it first.
   */
  private boolean launch(Run run, StepRun step) {
    StepSpec spec = run.template().step(step.name()).orElseThrow();
    if (spec.action() instanceof StepAction.Approval approval) {
      park(run, step, spec, approval);
      return true;
    }
    if (!launcher.accepting()) {
      // This node drains: the attempt stays PENDING for another node's sweep or the next start.
      return false;
    }
    Instant now = clock.instant();
    try {
      runs.start(
          step,
          StepStatus.RUNNING,
          settings.node(),
          new RunRepository.Lease(self.instance(), now.plus(leases.expiry())),
          now);
    } catch (Conflict taken) {
      return false;
    }
    changed();
    AttemptExecutor.Started started;
    try {
      started = launcher.start(new AttemptExecutor.Attempt(run, step, spec), sinkFor(run, step));
    } catch (IOException | RuntimeException e) {
      log.warn(
          "run {} step {}: cannot start: {}",
          run.id(),
          step.name(),
          maskSecrets(run, e.toString()));
      stepEnded(run, step, true, StepStatus.FAILED, null, "cannot start: " + e.getMessage(), 0, 0);
      // No outcome will come to move the run on: look again once this pass is done.
      work.execute(() -> safely(run.id(), () -> advance(run.id())));
      return true;
    }
    watch(step, started, (outcome, failure) -> finished(run.id(), step, outcome, failure));
    return true;
  }

  /**
   * Keeps an executing attempt's lease renewed until its outcome, then reports it. The process
   * group is recorded last and only for finding leftovers: failing to record it leaves the attempt
   * owned and watched (its processes also carry its id in their environment).
   */
  private void watch(
      StepRun step,
      AttemptExecutor.Started started,
      java.util.function.BiConsumer<Outcome, Throwable> report) {
    executing.put(step.id(), started.launched());
    started
        .launched()
        .outcome()
        .whenCompleteAsync(
            (outcome, failure) -> safely(step.runId(), () -> report.accept(outcome, failure)),
            work);
    if (started.process() != null) {
      try {
        runs.recordProcess(step.id(), started.process().pid(), started.process().startTicks());
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
   * An attempt's outcome, reported by the executor. Recording it is retried on a failed write; the
   * attempt stays in {@link #executing} (its lease renewed) until it is recorded or the engine
   * gives up, after which its lease runs out and a node fails it as lost.
   */
  private void finished(long runId, StepRun step, Outcome outcome, Throwable failure) {
    try {
      Retry.onFailedWrite(
          () -> {
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
              if (!stepEnded(run, step, true, to, exitCode, error, lines, dropped)) {
                log.warn(
                    "run {} step {} attempt {}: late report refused: the attempt is no longer this"
                        + " node's",
                    runId,
                    step.name(),
                    step.attempt());
              }
            }
          });
    } finally {
      executing.remove(step.id());
    }
    advance(runId);
  }

  /**
   * Records the end of a RUNNING attempt and, for a failure with retries left, adds the next
   * attempt, in one transaction. {@code guard}: {@code true} for this instance's own report
   * (refused when it lost the lease), {@code false} for an attempt found lost at start, or the
   * {@link RunRepository.Expired} lease the reaper saw. False when the attempt had already moved
   * on.
   */
  private boolean stepEnded(
      Run run,
      StepRun step,
      Object guard,
      StepStatus to,
      Integer exitCode,
      String error,
      long lines,
      long dropped) {
    Instant now = clock.instant();
    String masked = maskSecrets(run, error);
    StepSpec spec = run.template().step(step.name()).orElseThrow();
    boolean again =
        to.failure()
            && step.attempt() <= spec.retries()
            && (run.status() == RunStatus.RUNNING || run.status() == RunStatus.WAITING_APPROVAL);
    boolean ended =
        runs.atomically(
            tx -> {
              if (!end(tx, step, guard, to, exitCode, masked, lines, dropped, now)) {
                return false;
              }
              if (again) {
                tx.addAttempt(
                    step,
                    spec.retryBackoffSeconds() == 0
                        ? null
                        : now.plusSeconds(spec.retryBackoffSeconds()));
              }
              return true;
            });
    if (ended) {
      changed();
    }
    return ended;
  }

  private boolean end(
      RunRepository tx,
      StepRun step,
      Object guard,
      StepStatus to,
      Integer exitCode,
      String error,
      long lines,
      long dropped,
      Instant now) {
    if (guard instanceof RunRepository.Expired expired) {
      return tx.failExpired(expired, error, now);
    }
    if (Boolean.TRUE.equals(guard)) {
      return tx.finishOwned(step, self.instance(), to, exitCode, error, lines, dropped, now);
    }
    return tx.finish(step, StepStatus.RUNNING, to, exitCode, error, lines, dropped, now);
  }

  /**
   * An error text with the run's secret values, raw or as substituted into a URL or JSON, masked:
   * errors may quote the command or URL that failed, and they are shown by the API.
   */
  static String maskSecrets(Run run, String error) {
    if (error == null) {
      return null;
    }
    return io.nightshift.executor.SecretMask.of(
            StepLauncher.withSubstitutedForms(Params.secrets(run.template(), run.params())))
        .mask(error);
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

  /**
   * Ends the run; a failure (or time-out) of a template with {@code onFailure: rollback} rolls back
   * first.
   */
  private void finish(Run run, RunStatus outcome, String error) {
    Instant now = clock.instant();
    if ((outcome == RunStatus.FAILED || outcome == RunStatus.TIMED_OUT)
        && run.template().onFailure() == OnFailure.ROLLBACK
        && RollbackPlan.next(run.template(), run.latestByName()) != null) {
      runs.transition(run.id(), run.status(), RunStatus.ROLLING_BACK, error, now);
      changed();
      rollbackNext(run.id());
      return;
    }
    runs.transition(run.id(), run.status(), outcome, error, now);
    changed();
    forget(runs.get(run.id()));
    startNextQueued(run.job());
  }

  /** Starts the next undo, or ends the rollback when none is left. */
  private void rollbackNext(long runId) {
    synchronized (lock(runId)) {
      Run run = runs.get(runId);
      if (run.status() != RunStatus.ROLLING_BACK
          || run.attempts().stream().anyMatch(s -> s.status() == StepStatus.RUNNING)) {
        return;
      }
      StepRun next = RollbackPlan.next(run.template(), run.latestByName());
      Instant now = clock.instant();
      if (next != null && !launcher.accepting()) {
        return;
      }
      if (next == null) {
        runs.transition(runId, RunStatus.ROLLING_BACK, RunStatus.ROLLED_BACK, run.error(), now);
        changed();
        forget(runs.get(runId));
        startNextQueued(run.job());
        return;
      }
      StepSpec original = run.template().step(next.name()).orElseThrow();
      StepRun undo =
          runs.atomically(
              tx ->
                  tx.insertUndo(
                      next,
                      settings.node(),
                      new RunRepository.Lease(self.instance(), now.plus(leases.expiry())),
                      now));
      changed();
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
      AttemptExecutor.Started started;
      try {
        started =
            launcher.start(new AttemptExecutor.Attempt(run, undo, undoSpec), sinkFor(run, undo));
      } catch (IOException | RuntimeException e) {
        undoEnded(
            run, next, undo, true, StepStatus.FAILED, null, "cannot start: " + e.getMessage(), 0);
        return;
      }
      watch(undo, started, (outcome, failure) -> undoFinished(runId, next, undo, outcome, failure));
    }
  }

  private void undoFinished(
      long runId, StepRun original, StepRun undo, Outcome outcome, Throwable failure) {
    try {
      Retry.onFailedWrite(
          () -> {
            synchronized (lock(runId)) {
              Run run = runs.get(runId);
              if (failure != null) {
                undoEnded(
                    run,
                    original,
                    undo,
                    true,
                    StepStatus.FAILED,
                    null,
                    "executor failed: " + failure,
                    0);
              } else {
                undoEnded(
                    run,
                    original,
                    undo,
                    true,
                    stepStatus(outcome),
                    outcome.exitCode(),
                    outcome.error(),
                    outcome.lines());
              }
            }
          });
    } finally {
      executing.remove(undo.id());
    }
  }

  /**
   * Records an undo's end with its consequence in one transaction: the original step ROLLED_BACK
   * (then the next undo), or the run ROLLBACK_FAILED. False when the undo had already moved on.
   */
  private boolean undoEnded(
      Run run,
      StepRun original,
      StepRun undo,
      Object guard,
      StepStatus to,
      Integer exitCode,
      String error,
      long lines) {
    Instant now = clock.instant();
    String masked = maskSecrets(run, error);
    String failure =
        "undo of step '"
            + original.name()
            + "' "
            + to.name().toLowerCase(java.util.Locale.ROOT)
            + (error == null ? "" : ": " + masked);
    boolean ended =
        runs.atomically(
            tx -> {
              if (!end(tx, undo, guard, to, exitCode, masked, lines, 0, now)) {
                return false;
              }
              if (to == StepStatus.SUCCEEDED) {
                tx.rolledBack(original, now);
              } else {
                tx.transition(
                    run.id(), RunStatus.ROLLING_BACK, RunStatus.ROLLBACK_FAILED, failure, now);
              }
              return true;
            });
    if (!ended) {
      return false;
    }
    changed();
    if (to == StepStatus.SUCCEEDED) {
      work.execute(() -> safely(run.id(), () -> rollbackNext(run.id())));
      return true;
    }
    forget(runs.get(run.id()));
    startNextQueued(run.job());
    return true;
  }

  /** Parks an approval step: a pending row, no thread, a timer only if it has a deadline. */
  private void park(Run run, StepRun step, StepSpec spec, StepAction.Approval action) {
    Instant now = clock.instant();
    Instant expires = spec.timeoutSeconds() == null ? null : now.plusSeconds(spec.timeoutSeconds());
    long id = approvals.park(step, action, run.triggeredBy(), expires, settings.node(), now);
    changed();
    if (expires != null) {
      armExpiry(id, run.id(), expires);
    }
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
    if (approval.expiresAt() != null && approval.expiresAt().isAfter(clock.instant())) {
      // Timers run on real time; the deadline is read with the engine's clock (the sweep finds it).
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
    changed();
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

  /** A change was committed with its event: the relay announces it. */
  private void changed() {
    relay.wake();
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

  /**
   * Runs one piece of the engine's work, retrying it on a failed write (each piece re-reads what it
   * decides on, so a retry is safe); what still fails is logged and left to the periodic sweep.
   */
  private static void safely(long runId, Runnable action) {
    try {
      Retry.onFailedWrite(action);
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
    if (cancels != null) {
      cancels.close();
    }
    leaseTimer.shutdownNow();
    timers.shutdownNow();
    // Queued decisions are dropped: every unfinished run is advanced again by recover() at start.
    work.shutdownNow();
    try {
      work.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    relay.close();
    try {
      nodes.release(self.instance(), clock.instant().minus(Duration.ofDays(1)));
    } catch (RuntimeException e) {
      log.warn("cannot release this node's lease: {}", e.toString());
    }
  }
}
