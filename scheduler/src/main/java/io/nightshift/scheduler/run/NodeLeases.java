package io.nightshift.scheduler.run;

import io.nightshift.executor.ProcessGroups;
import io.nightshift.scheduler.logs.Follow;
import io.nightshift.scheduler.logs.LogBus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node instance's leases: its own (renewed while it lives, so a node of the same name can tell
 * a live twin from its dead past) and those of the attempts it executes (renewed while they run;
 * one it no longer holds is killed). Cancels reach the attempts it executes through the event
 * channel, and through a database poll when that channel is down.
 */
final class NodeLeases implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final EngineContext ctx;
  private final RunRepository runs;
  private final NodeLeaseRepository nodes;
  private final EngineSettings settings;
  private final LeaseSettings leases;
  private final NodeLeaseRepository.NodeLease self;
  private final java.time.Clock clock;
  private final LogBus bus;
  private final Map<Long, Launched> executing;
  private final ExecutorService work;
  private final ScheduledExecutorService timers;
  private final ScheduledExecutorService leaseTimer;
  private volatile Follow cancels;

  NodeLeases(EngineContext ctx) {
    this.ctx = ctx;
    this.runs = ctx.runs;
    this.nodes = ctx.nodes;
    this.settings = ctx.settings;
    this.leases = ctx.leases;
    this.self = ctx.self;
    this.clock = ctx.clock;
    this.bus = ctx.bus;
    this.executing = ctx.executing;
    this.work = ctx.work;
    this.timers = ctx.timers;
    this.leaseTimer = ctx.leaseTimer;
  }

  /**
   * Instances of this node's name, other than this one, that are alive: their lease holds and, when
   * they run on this host, their JVM is still the process that took the lease.
   */
  java.util.Set<String> liveTwins(Instant now) {
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

  void heartbeat(Instant now) {
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
  void renewLeases() {
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
  void pollCancels() {
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

  void schedulePeriodic(Runnable sweeping) {
    // A cancel accepted on any node reaches this one as a CANCELING event (the DB poll below is the
    // fallback when the event channel is down).
    cancels =
        bus.followEvents(
            event -> {
              if (RunEvents.isRun(event)
                  && RunStatus.CANCELING.name().equals(event.getString("status"))
                  && !executing.isEmpty()) {
                leaseTimer.execute(() -> ctx.safely(0, this::pollCancels));
              }
            });
    long renew = leases.renewEvery().toMillis();
    leaseTimer.scheduleWithFixedDelay(
        () -> ctx.safely(0, this::renewLeases), renew, renew, TimeUnit.MILLISECONDS);
    long poll = leases.cancelPollEvery().toMillis();
    leaseTimer.scheduleWithFixedDelay(
        () -> ctx.safely(0, this::pollCancels), poll, poll, TimeUnit.MILLISECONDS);
    long sweep = leases.sweepEvery().toMillis();
    timers.scheduleWithFixedDelay(
        () -> work.execute(() -> ctx.safely(0, sweeping)), sweep, sweep, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    if (cancels != null) {
      cancels.close();
    }
  }
}
