package io.nightshift.scheduler.run;

import io.nightshift.executor.DaemonThreads;
import io.nightshift.scheduler.approval.ApprovalRepository;
import io.nightshift.scheduler.logs.LogBus;
import io.nightshift.scheduler.logs.LogStore;
import io.nightshift.scheduler.store.Sql;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the parts of the {@link Engine} share: the stores, this node instance, the attempts it
 * executes, the per-run locks, its threads and the event relay it wakes after each change.
 */
final class EngineContext {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  final RunRepository runs;
  final AttemptLeaseRepository attemptLeases;
  final SweepRepository sweeps;

  /** The attempt leases on the lease pool: for renewals and cancel polls only. */
  final AttemptLeaseRepository renewals;

  final ApprovalRepository approvals;
  final DSLContext dsl;
  final LogBus bus;

  /** The stored output lines (a lost attempt's count is read from them). */
  final LogStore lines;

  final NodeLeaseRepository nodes;
  final AttemptExecutor launcher;
  final EngineSettings settings;

  /** Tries a write that failed for a reason that may pass again, a few times. */
  final Retry retry;

  final LeaseSettings leases;
  final NodeLeaseRepository.NodeLease self;
  final Clock clock;
  final EventRelay relay;

  /** When this node last could not reach the database: leases are judged only once it holds. */
  final DatabaseContact contact;

  /** Attempts executing on this node instance, by step run id. */
  final Map<Long, Launched> executing = new ConcurrentHashMap<>();

  /**
   * Attempts (by step run id) that ended while the database was unreachable: what records their end
   * again, handed to {@link #work} after the next successful lease renewal. They stay in {@link
   * #executing} meanwhile, so that their leases are renewed.
   */
  final Map<Long, Runnable> endsWaiting = new ConcurrentHashMap<>();

  /** The ends in {@link #endsWaiting}, kept on disk until recorded. */
  final StepEndJournal journal;

  private final Map<Long, Object> locks = new ConcurrentHashMap<>();

  /** Decisions run here; {@link #timers} hand due work to it. */
  final EnginePool work = new EnginePool(4, "nightshift-engine-");

  final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(new DaemonThreads("nightshift-engine-timer-"));

  /** Renewals and cancel polls must not wait behind runs' work: their own thread. */
  final ScheduledExecutorService leaseTimer =
      Executors.newSingleThreadScheduledExecutor(new DaemonThreads("nightshift-engine-lease-"));

  EngineContext(
      RunRepository runs,
      ApprovalRepository approvals,
      NodeLeaseRepository nodes,
      DSLContext dsl,
      DSLContext leaseDsl,
      LogBus bus,
      AttemptExecutor launcher,
      EngineSettings settings,
      LeaseSettings leases,
      NodeLeaseRepository.NodeLease self,
      Clock clock) {
    this.runs = runs;
    this.attemptLeases = new AttemptLeaseRepository(dsl);
    this.sweeps = new SweepRepository(dsl);
    this.renewals = new AttemptLeaseRepository(leaseDsl);
    this.approvals = approvals;
    this.nodes = nodes;
    this.dsl = dsl;
    this.bus = bus;
    this.lines = new LogStore(dsl);
    this.launcher = launcher;
    this.settings = settings;
    this.retry = new Retry(settings.writeRetryPauses());
    this.journal = new StepEndJournal(settings.endsDir());
    this.leases = leases;
    this.self = self;
    this.clock = clock;
    this.contact = new DatabaseContact(clock);
    this.relay =
        new EventRelay(
            dsl,
            bus,
            clock,
            self.instance(),
            leases.cancelPollEvery(),
            java.time.Duration.ofHours(1));
  }

  /** A new lease on an attempt for this node instance, from {@code now}. */
  RunRepository.Lease lease(Instant now) {
    return new RunRepository.Lease(self.instance(), now.plus(leases.expiry()));
  }

  /** Runs whose first advance waits in {@link #work}: the sweep leaves them to it. */
  private final java.util.Set<Long> advanceQueued = ConcurrentHashMap.newKeySet();

  /**
   * Hands a run's first advance to the pool. Until it begins, {@link #advanceQueued} tells the
   * sweep that the run is not stalled (under a backlog it would otherwise read and advance each
   * again).
   */
  void advanceSoon(long runId, Runnable advance) {
    advanceQueued.add(runId);
    try {
      work.execute(
          () -> {
            advanceQueued.remove(runId);
            safely(runId, advance);
          },
          EnginePool.Rank.STARTING);
    } catch (RuntimeException rejected) {
      advanceQueued.remove(runId);
      throw rejected;
    }
  }

  /** Whether the run's first advance still waits in this node's pool. */
  boolean advanceQueued(long runId) {
    return advanceQueued.contains(runId);
  }

  /** A change was committed with its event: the relay announces it. */
  void changed() {
    relay.wake();
  }

  /**
   * Now, to the millisecond, as the store keeps times: a write found stored already (its answer
   * lost) is recognised by the time it wrote, and an attempt's times compare as stored.
   */
  Instant storedNow() {
    return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
  }

  /**
   * Whether attempt {@code stored} (as read back) was started RUNNING by this instance at {@code
   * at}: a start whose commit went through although it answered a lost connection.
   */
  boolean startedHere(StepRun stored, Instant at) {
    return stored.status() == StepStatus.RUNNING
        && at.equals(stored.startedAt())
        && self.instance().equals(attemptLeases.leaseOwner(stored.id()));
  }

  Object lock(long runId) {
    return locks.computeIfAbsent(runId, id -> new Object());
  }

  void forget(Run run) {
    if (run.status().terminal()) {
      copies.remove(run.id());
      if (run.steps().stream().noneMatch(s -> executing.containsKey(s.id()))) {
        locks.remove(run.id());
      }
    }
  }

  /**
   * The latest copy of each active run this node wrote (at the revision its write left): the next
   * decision on the run starts from it instead of reading the run again. A copy that another change
   * made out of date is caught by the revision check of the next write ({@link StaleRun}), never
   * acted on.
   */
  private final Map<Long, Run> copies =
      java.util.Collections.synchronizedMap(
          new java.util.LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Run> eldest) {
              return size() > 10_000;
            }
          });

  void remember(Run run) {
    if (run.status().terminal()) {
      copies.remove(run.id());
    } else {
      copies.put(run.id(), run);
    }
  }

  void evict(long runId) {
    copies.remove(runId);
  }

  Run cached(long runId) {
    return copies.get(runId);
  }

  /**
   * Makes a decision on the run (the caller holds its lock): on {@code known} when given, else on
   * the run as stored. When a write of the decision finds the run changed since that copy ({@link
   * StaleRun}), nothing was written: the run is read again and the decision made again.
   */
  <T> T decide(long runId, Run known, java.util.function.Function<Run, T> decision) {
    Run run = known;
    for (int attempt = 1; ; attempt++) {
      if (run == null) {
        run = runs.get(runId);
      }
      try {
        return decision.apply(run);
      } catch (StaleRun stale) {
        copies.remove(runId);
        if (attempt >= 20) {
          throw stale;
        }
        run = null;
      }
    }
  }

  /**
   * Runs one piece of the engine's work on a run, retrying it on a failed write (each piece
   * re-reads what it decides on, so a retry is safe); what still fails is logged and left to the
   * periodic sweep.
   */
  void safely(long runId, Runnable action) {
    safely("run " + runId, action);
  }

  /**
   * {@link #safely(long, Runnable)} for work on no single run ({@code what}: "lease renewal",
   * "queued runs of job nightly"), which the periodic sweep or its own timer does again.
   */
  void safely(String what, Runnable action) {
    try {
      retry.onFailedWrite(action);
    } catch (RuntimeException e) {
      log.error(
          "{}: engine step failed (the periodic sweep takes it up again): {}",
          what,
          e.toString(),
          Sql.traceUnlessUnavailable(e));
    }
  }
}
