package io.nightshift.scheduler.run;

import io.nightshift.executor.ProcessGroups;
import io.nightshift.scheduler.approval.Approval;
import io.nightshift.scheduler.approval.ApprovalRepository;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.logs.LogBus;
import io.nightshift.scheduler.template.StepKind;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
 * clock (a node on MySQL gives it the database server's time: nodes whose own clocks disagree still
 * agree on leases and due times). A cancel on any node makes the run CANCELING; the owner of each
 * running attempt sees it and kills the process tree; the run becomes CANCELED when its last
 * attempt has ended.
 */
public final class Engine implements CreatedRuns, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final EngineContext ctx;
  private final RunRepository runs;
  private final ApprovalRepository approvals;
  private final EngineSettings settings;
  private final Clock clock;
  private final Admission admission;
  private final Attempts attempts;
  private final Rollback rollback;
  private final ApprovalGate gate;
  private final NodeLeases nodeLeases;
  private final LostAttempts lost;
  private final Cancels cancels;
  private final Advancing advancing;

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
        Admission.direct(runs),
        dsl);
  }

  /**
   * {@code admission} stores new runs (a job's concurrency policy decides in it). Lease renewals
   * and cancel polls go through {@code leaseDsl}: a pool of their own, so that they never wait
   * behind the engine's work for a connection ({@code nodes} should use it too).
   */
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
      Admission admission,
      DSLContext leaseDsl) {
    long pid = ProcessHandle.current().pid();
    NodeLeaseRepository.NodeLease self =
        new NodeLeaseRepository.NodeLease(
            java.util.UUID.randomUUID().toString(),
            settings.node(),
            hostName(),
            pid,
            ProcessGroups.startTicks(pid).orElse(null),
            null);
    this.ctx =
        new EngineContext(
            runs, approvals, nodes, dsl, leaseDsl, bus, launcher, settings, leases, self, clock);
    this.runs = runs;
    this.approvals = approvals;
    this.settings = settings;
    this.clock = clock;
    this.admission = admission;
    EndRecording ends = new EndRecording(ctx);
    this.attempts = new Attempts(ctx, this, ends);
    this.rollback = new Rollback(ctx, this, attempts, ends);
    this.gate = new ApprovalGate(ctx, this);
    this.nodeLeases = new NodeLeases(ctx);
    this.lost = new LostAttempts(ctx, this, attempts, rollback);
    this.cancels = new Cancels(ctx, this);
    this.advancing = new Advancing(ctx, this, attempts, rollback, gate);
  }

  /** This node instance's id: the owner of the attempts it runs. */
  public String instance() {
    return ctx.self.instance();
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
    return ctx.relay;
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
    Admission.Admitted admitted = admission.admit(request, force, clock);
    ctx.changed();
    long id = admitted.runId();
    Run stored = admitted.run();
    if (admitted.status() == RunStatus.QUEUED) {
      // The run it queued behind may have ended meanwhile: it may start at once.
      startNextQueued(stored.job());
      return runs.get(id);
    } else {
      // The caller (an HTTP request) gets the stored run at once; steps start on the engine's
      // pool, from the copy just read (its revision check catches a change made meanwhile).
      ctx.advanceSoon(id, () -> advance(id, stored));
    }
    return stored;
  }

  @Override
  public void startCreated(long runId) {
    ctx.changed();
    // Quartz threads only claim fires: the steps start on the engine's pool.
    ctx.advanceSoon(runId, () -> advance(runId));
  }

  @Override
  public void queued(long runId) {
    runs.find(runId).ifPresent(run -> startNextQueued(run.job()));
  }

  /** When a job's run ends, its oldest QUEUED run (concurrency: queue) starts. */
  void startNextQueued(String job) {
    if (job == null) {
      return;
    }
    ctx.sweeps
        .startNextQueued(job, clock.instant())
        .ifPresent(next -> ctx.work.execute(() -> ctx.safely(next, () -> startCreated(next))));
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
    return start(retryOf(runId, actor), force);
  }

  /** The new run a retry of {@code runId} starts; a {@link Conflict} when it cannot be retried. */
  NewRun retryOf(long runId, String actor) {
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
    return new NewRun(
        old.template(),
        old.templateVersion(),
        old.job(),
        Trigger.RETRY,
        actor,
        old.params(),
        old.id(),
        old.steps().stream()
            .filter(
                step -> step.status() == StepStatus.SUCCEEDED && step.kind() != StepKind.APPROVAL)
            .toList());
  }

  /**
   * Cancels the run: pending steps and waiting approvals are canceled at once; while an attempt
   * still runs (here or on another node) the run is CANCELING and the attempt's owner kills its
   * whole process tree; the run is CANCELED when its last attempt has ended.
   */
  public Run cancel(long runId, String actor) {
    return cancels.cancel(runId, actor);
  }

  /**
   * Start-up reconciliation: step processes this node name left behind are killed and their steps
   * failed ("executor lost"), unless they belong to a live instance of the same name (its lease
   * holds, and on this host its process is still the one that took it), also those of attempts
   * another node has failed as lost meanwhile (their retry may run elsewhere); then every
   * unfinished run moves on by its rules, backoff and deadline timers are armed again, and the
   * periodic lease renewal, cancel poll and sweep start.
   */
  public void recover() {
    Instant now = clock.instant();
    nodeLeases.heartbeat(now);
    java.util.Set<String> liveTwins = nodeLeases.liveTwins(now);
    java.util.List<Long> keptEnds = lost.keptEnds();
    lost.orphans();
    for (long runId : ctx.sweeps.unfinished()) {
      try {
        lost.ownLeftovers(runId, liveTwins);
        moveOn(runId);
      } catch (RuntimeException e) {
        log.error("cannot reconcile run {}", runId, e);
      }
    }
    lost.dropStaleKeptEnds(keptEnds);
    for (Approval pending : approvals.pendingWithDeadline()) {
      gate.armExpiry(pending.id(), pending.runId(), pending.expiresAt());
    }
    for (String job : ctx.sweeps.jobsWithQueuedRuns()) {
      ctx.safely("queued runs of job " + job, () -> startNextQueued(job));
    }
    nodeLeases.schedulePeriodic(this::sweepSoon);
  }

  /**
   * What every node does periodically: fails attempts whose lease expired, moves stalled runs on
   * (those nothing happened to for {@link LeaseSettings#stallGrace()}), expires approvals past
   * their deadline and starts queued runs whose turn has come.
   */
  public void sweep() {
    reap();
    Instant now = clock.instant();
    // A run counts as stalled only once nothing happened to it for the stall grace: the node that
    // created it or is moving it on (its advance may wait in that node's pool) owns its next moves
    // until then. This node also leaves a run whose first advance waits in its own pool to that.
    for (long runId : ctx.sweeps.stalled(now, now.minus(ctx.leases.stallGrace()), 200)) {
      if (!ctx.advanceQueued(runId)) {
        ctx.safely(runId, () -> moveOn(runId));
      }
    }
    for (Approval pending : approvals.pendingWithDeadline()) {
      if (!pending.expiresAt().isAfter(now)) {
        ctx.safely(pending.runId(), () -> gate.expire(pending.id()));
      }
    }
    for (String job : ctx.sweeps.jobsWithQueuedRuns()) {
      ctx.safely("queued runs of job " + job, () -> startNextQueued(job));
    }
  }

  /**
   * What the sweep timer does every {@code sweepEvery}: hands a {@link #sweep()} to the engine's
   * pool, unless the previous one still waits or runs there (false).
   */
  boolean sweepSoon() {
    return nodeLeases.sweepSoon(this::sweep);
  }

  /** Fails attempts whose owner stopped renewing their lease; the step's rules decide what next. */
  public void reap() {
    lost.reap();
  }

  /** Moves a run on from whatever state it is in (after a crash, a sweep or a reap). */
  void moveOn(long runId) {
    if (runs.get(runId).status() == RunStatus.ROLLING_BACK) {
      rollback.rollbackNext(runId);
    } else {
      advance(runId);
    }
  }

  /** Applies what {@link Progress} decides, until nothing more changes. */
  void advance(long runId) {
    advancing.advance(runId, null);
  }

  /**
   * Like {@link #advance(long)}, deciding on {@code known} (this node's copy of the run after its
   * last write) instead of reading the run again; null: read it.
   */
  void advance(long runId, Run known) {
    advancing.advance(runId, known);
  }

  /** After a change ended {@code run} (the copy it left): the job's next queued run may start. */
  void ended(Run run) {
    ctx.forget(run);
    startNextQueued(run.job());
  }

  /** Steps executing on this node right now (an approval that waits holds none). */
  public int executingSteps() {
    return attempts.executingSteps();
  }

  /** Attempts that ended here while the database was unreachable (recorded at the next renewal). */
  public int stepEndsWaiting() {
    return ctx.endsWaiting.size();
  }

  /**
   * Extends this instance's node lease and the leases of the attempts it executes; an attempt whose
   * lease it no longer holds (another node failed it as lost) is killed.
   */
  public void renewLeases() {
    nodeLeases.renewLeases();
  }

  /** Kills the attempts this node executes whose run another node (or this one) is canceling. */
  public void pollCancels() {
    nodeLeases.pollCancels();
  }

  /** The database's clock stepped forward: see {@link DatabaseContact#clockStepped}; logged. */
  public void clockStepped(Duration settle) {
    log.warn(
        ctx.contact.clockStepped(settle)
            ? "no lease is judged for {} s, until every node has read the new time and renewed"
            : "leases are judged still: an earlier step's hold began under 5 minutes ago",
        settle.plus(ctx.leases.expiry()).toSeconds());
  }

  /**
   * Decides an approval (the caller checked who may): the first decision wins, atomically with the
   * step's change; a later one is a {@link Conflict}. Then the run moves on.
   */
  public Approval decide(long approvalId, String by, boolean approve, String comment) {
    return gate.decide(approvalId, by, approve, comment);
  }

  @Override
  public void close() {
    nodeLeases.close();
    ctx.leaseTimer.shutdownNow();
    ctx.timers.shutdownNow();
    // Queued decisions are dropped: every unfinished run is advanced again by recover() at start.
    ctx.work.shutdownNow();
    try {
      ctx.work.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    ctx.relay.close();
    ctx.launcher.close();
    try {
      ctx.nodes.release(ctx.self.instance(), clock.instant().minus(Duration.ofDays(1)));
    } catch (RuntimeException e) {
      log.warn("cannot release this node's lease: {}", e.toString());
    }
  }
}
