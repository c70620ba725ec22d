package io.nightshift.scheduler.run;

import io.nightshift.executor.ProcessGroups;
import io.nightshift.scheduler.logs.Follow;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node instance's leases: its own (renewed while it lives, so a node of the same name can tell
 * a live twin from its dead past) and those of the attempts it executes (renewed while they run;
 * one it no longer holds is killed). Cancels reach the attempts it executes through the event
 * channel, and through a database poll when that channel is down. Renewals and polls run on a
 * thread of their own and read and write through the lease pool: they never wait behind runs' work.
 */
final class NodeLeases implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final EngineContext ctx;
  private volatile Follow cancels;
  private final AtomicBoolean sweepUnderWay = new AtomicBoolean();

  NodeLeases(EngineContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Instances of this node's name, other than this one, that are alive at {@code now}: their lease
   * holds and, when they run on this host, their JVM is still the process that took it.
   */
  java.util.Set<String> liveTwins(Instant now) {
    java.util.Set<String> live = new java.util.HashSet<>();
    for (NodeLeaseRepository.NodeLease other : ctx.nodes.live(now)) {
      if (other.instance().equals(ctx.self.instance())
          || !other.node().equals(ctx.settings.node())) {
        continue;
      }
      boolean sameHost = other.host().equals(ctx.self.host());
      if (sameHost
          && !ProcessGroups.startTicks(other.pid())
              .map(t -> t.equals(other.pidStartedAt()))
              .orElse(false)) {
        continue;
      }
      live.add(other.instance());
      log.warn(
          "node name {} is also used by a live instance on host {} (pid {}): its steps are left to"
              + " it, but two nodes running under one name share fire records and drains; give"
              + " each node its own name (node / NIGHTSHIFT_NODE)",
          other.node(),
          other.host(),
          other.pid());
    }
    return live;
  }

  /** Renews this instance's node lease from {@code now}. */
  void heartbeat(Instant now) {
    ctx.nodes.renew(
        new NodeLeaseRepository.NodeLease(
            ctx.self.instance(),
            ctx.self.node(),
            ctx.self.host(),
            ctx.self.pid(),
            ctx.self.pidStartedAt(),
            now.plus(ctx.leases.expiry())),
        now,
        ctx.launcher.drainingSince());
  }

  /**
   * Extends this instance's node lease and the leases of the attempts it executes; an attempt whose
   * lease it no longer holds (another node failed it as lost) is killed here. Then the ends of
   * attempts that waited for the database are recorded.
   */
  void renewLeases() {
    Instant now = ctx.clock.instant();
    List<Long> mine = List.copyOf(ctx.executing.keySet());
    java.util.Set<Long> held;
    try {
      heartbeat(now);
      held = ctx.renewals.renew(ctx.self.instance(), mine, now.plus(ctx.leases.expiry()));
    } catch (RuntimeException e) {
      ctx.contact.failed(e);
      throw e;
    }
    for (long id : mine) {
      if (!held.contains(id)) {
        Launched lost = ctx.executing.remove(id);
        if (lost != null && !lost.outcome().isDone()) {
          log.warn("step run {}: this node lost its lease; killing what it still runs", id);
          lost.cancel();
        }
      }
    }
    // The database answers again: the ends that waited for it are recorded (in order of step run).
    for (long id : new java.util.TreeSet<>(ctx.endsWaiting.keySet())) {
      Runnable again = ctx.endsWaiting.remove(id);
      if (again != null) {
        ctx.work.execute(() -> ctx.safely("step run " + id, again), EnginePool.Rank.ENDING);
      }
    }
  }

  /** Kills the attempts this node executes whose run another node (or this one) is canceling. */
  void pollCancels() {
    if (ctx.executing.isEmpty()) {
      return;
    }
    for (long id : ctx.renewals.ofCancelingRuns(List.copyOf(ctx.executing.keySet()))) {
      Launched launched = ctx.executing.get(id);
      if (launched != null) {
        launched.cancel();
      }
    }
  }

  /** Starts the renewals, cancel polls and {@code sweepSoon} on their timers. */
  void schedulePeriodic(Runnable sweepSoon) {
    // A cancel accepted on any node reaches this one as a CANCELING event (the DB poll below is the
    // fallback when the event channel is down).
    cancels =
        ctx.bus.followEvents(
            event -> {
              if (RunEvents.isRun(event)
                  && RunStatus.CANCELING.name().equals(event.getString("status"))
                  && !ctx.executing.isEmpty()) {
                ctx.leaseTimer.execute(() -> ctx.safely("cancel poll", this::pollCancels));
              }
            });
    long renew = ctx.leases.renewEvery().toMillis();
    ctx.leaseTimer.scheduleWithFixedDelay(
        () -> ctx.safely("lease renewal", this::renewLeases), renew, renew, TimeUnit.MILLISECONDS);
    long poll = ctx.leases.cancelPollEvery().toMillis();
    ctx.leaseTimer.scheduleWithFixedDelay(
        () -> ctx.safely("cancel poll", this::pollCancels), poll, poll, TimeUnit.MILLISECONDS);
    long sweep = ctx.leases.sweepEvery().toMillis();
    ctx.timers.scheduleWithFixedDelay(sweepSoon, sweep, sweep, TimeUnit.MILLISECONDS);
  }

  /**
   * Hands a sweep to the engine's pool, unless the previous one still waits or runs there (false):
   * a sweep slower than its period (each waits for a connection through a database outage) must not
   * fill the pool with sweeps ahead of the runs' own work.
   */
  boolean sweepSoon(Runnable sweeping) {
    if (!sweepUnderWay.compareAndSet(false, true)) {
      return false;
    }
    try {
      ctx.work.execute(
          () -> {
            try {
              ctx.safely("sweep", sweeping);
            } finally {
              sweepUnderWay.set(false);
            }
          });
      return true;
    } catch (RuntimeException rejected) {
      sweepUnderWay.set(false);
      throw rejected;
    }
  }

  @Override
  public void close() {
    if (cancels != null) {
      cancels.close();
    }
  }
}
