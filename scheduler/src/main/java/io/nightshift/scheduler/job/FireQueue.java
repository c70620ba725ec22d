package io.nightshift.scheduler.job;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fires Quartz hands over, claimed in batches: what piled up while a claim was being written
 * goes into the next one ({@link Firing#fireAll}), so 500 jobs firing in the same second cost a few
 * transactions, not 500, and Quartz's threads never wait on the database. Jobs are spread over
 * {@link #LANES} lanes by id, each with its own thread: the lanes claim in parallel without ever
 * waiting on each other's job rows, and a job's fires are claimed in the order they came. A fire
 * the database failed (a lock wait timeout, an outage) goes back to its lane and is tried again
 * after a pause: claimed, or recorded as missed once it is over a minute late; only a fire still
 * failing {@link Firing#GIVE_UP} after its time is dropped, with an error logged. A fire Quartz
 * gave before its time by the cluster's clock (this node's clock is ahead of the database's) is
 * held in its lane until then: every node starts a job's runs at the same time, whatever its own
 * clock says. A stop claims the held fires that come due within its 10 s; the others are left to
 * the other nodes (or to the catch-up of the next start), never claimed early. A fire Quartz found
 * over a minute late by this node's clock (a misfire) comes here too, and is judged like any other
 * by the cluster's: recorded as missed once it is over a minute late by that, held while it is
 * early (Quartz finds misfires holding its own lock: a misfire that waited there on a job's row or
 * on the database would hold back every job's fires). A claim never waits on a job's row held by
 * another transaction (another node claiming the same fire, a change of the job, a transaction of a
 * node cut off mid-claim that the database has not dropped yet): that job's fires wait in its lane
 * ({@link BusyFires}; its earliest is tried again every {@link #BUSY_PAUSE}), while the lane's
 * other jobs go on, and once the row is free they come to what they would have (claimed, a
 * duplicate of the other node's, or missed once late); a row held so long that they are over a
 * minute late is logged once, and fires still waiting {@link Firing#GIVE_UP} after their time are
 * dropped like those the database failed. A stop leaves them to the other nodes.
 */
final class FireQueue implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FireQueue.class);

  /** Claiming threads. */
  static final int LANES = 4;

  /** How long a lane waits before it tries again the fires whose job's row was held. */
  static final Duration BUSY_PAUSE = Duration.ofMillis(200);

  /** Fires a lane takes at once; {@link Firing#fireAll} splits them into transactions. */
  static final int TAKEN = 1000;

  private final List<Lane> lanes = new ArrayList<>();
  private final Firing firing;
  private final Duration retryPause;
  private volatile boolean closed;
  private volatile long closeDeadline; // System.nanoTime() when a stop under way gives up

  /** The fires in the queue (waiting, held or being claimed), by job and time. */
  private final Set<Map.Entry<Long, Instant>> queued = ConcurrentHashMap.newKeySet();

  FireQueue(Firing firing) {
    this(firing, Duration.ofSeconds(1));
  }

  /** {@code retryPause}: how long a lane waits before it tries fires the database failed again. */
  FireQueue(Firing firing, Duration retryPause) {
    this.firing = firing;
    this.retryPause = retryPause;
    for (int i = 0; i < LANES; i++) {
      lanes.add(new Lane("nightshift-fire-claimer-" + i));
    }
    firing.gaugeWaiting(this::waiting);
  }

  /**
   * A fire Quartz triggered or found misfired (or one not due yet by the cluster's time when its
   * job was scheduled): claimed as soon as its lane is free and it is due, or recorded as missed if
   * it is over a minute late by then. A fire already in the queue is not added again.
   */
  void add(Firing.Due fire) {
    if (queued.add(key(fire))) {
      lanes.get((int) Math.floorMod(fire.jobId(), (long) LANES)).due.add(fire);
    }
  }

  /** The fire is out of the queue: claimed, recorded, dropped or left. */
  private void forget(Firing.Due fire) {
    queued.remove(key(fire));
  }

  private static Map.Entry<Long, Instant> key(Firing.Due fire) {
    return Map.entry(fire.jobId(), fire.scheduledAt());
  }

  /** Fires waiting to be claimed, those held until their time included. */
  int waiting() {
    return lanes.stream().mapToInt(l -> l.due.size() + l.heldCount + l.busyCount).sum();
  }

  /** Claims what was handed over (for at most 10 s), then stops. */
  @Override
  public void close() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    closeDeadline = deadline;
    closed = true;
    for (Lane lane : lanes) {
      try {
        TimeUnit.NANOSECONDS.timedJoin(lane.thread, Math.max(1, deadline - System.nanoTime()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (waiting() > 0) {
      log.warn(
          "stopped with {} fire(s) unclaimed; the next start records them as missed", waiting());
    }
    lanes.forEach(lane -> lane.thread.interrupt());
  }

  private final class Lane {
    final BlockingDeque<Firing.Due> due = new LinkedBlockingDeque<>();
    final Thread thread;
    volatile int heldCount; // fires taken from due but early by the cluster's clock
    volatile int busyCount; // fires whose job's row another transaction held

    /** Fires whose job's row another transaction held, and the jobs warned of as held long. */
    private final BusyFires busy = new BusyFires(BUSY_PAUSE);

    private final Set<Long> heldLong = new java.util.HashSet<>();
    private long droppedLogged; // System.nanoTime() of the last line on dropped fires
    private int droppedSince; // fires dropped since that line

    Lane(String name) {
      thread = new Thread(this::claimAll, name);
      thread.setDaemon(true);
      thread.start();
    }

    private void claimAll() {
      // Early by the cluster's clock, soonest first.
      PriorityQueue<Firing.Due> held =
          new PriorityQueue<>(java.util.Comparator.comparing(Firing.Due::scheduledAt));
      while (!closed || !due.isEmpty() || dueBeforeStop(held.peek())) {
        Firing.Due next;
        try {
          next = due.poll(pollMillis(held.peek()), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          return;
        }
        Instant now = firing.clocks().clusterTime();
        List<Firing.Due> ready = new ArrayList<>();
        while (!held.isEmpty() && !held.peek().scheduledAt().isAfter(now)) {
          ready.add(held.poll());
        }
        if (next != null) {
          List<Firing.Due> taken = new ArrayList<>();
          taken.add(next);
          due.drainTo(taken, TAKEN - 1);
          for (Firing.Due fire : taken) {
            (fire.scheduledAt().isAfter(now) ? held : ready).add(fire);
          }
        }
        // Behind the job's earlier fire that waits for its row: a job's fires in their order.
        busy.parkBehind(ready);
        List<Firing.Due> probes = busy.probes(System.nanoTime());
        ready.addAll(probes);
        heldCount = held.size();
        busyCount = busy.size() + probes.size();
        if (ready.isEmpty()) {
          continue;
        }
        // A job's fires in their order, also when one the database failed is back beside a held
        // one.
        ready.sort(java.util.Comparator.comparing(Firing.Due::scheduledAt));
        try {
          retry(ready, firing.fireAll(ready));
          busyCount = busy.size();
        } catch (InterruptedException e) {
          return;
        } catch (Throwable e) {
          // Whatever it was, the lane goes on: a lane that died would leave its jobs unfired.
          log.error("{} fire(s) could not be claimed (from {})", ready.size(), ready.get(0), e);
          ready.forEach(FireQueue.this::forget);
        }
      }
      if (!held.isEmpty()) {
        // Not claimed early: a live node claims them in time, or the next start's catch-up.
        log.warn(
            "stopped with {} fire(s) not due yet by the database's time (this node's clock is"
                + " ahead of it), the first of job {} at {}: left to the other nodes, or to the"
                + " catch-up of the next start",
            held.size(),
            held.peek().named(),
            held.peek().scheduledAt());
        held.forEach(FireQueue.this::forget);
        heldCount = 0;
      }
      List<Firing.Due> left = busy.clear();
      if (!left.isEmpty()) {
        log.warn(
            "stopped with {} fire(s) whose job's row another transaction held, the first of job {}"
                + " at {}: left to the other nodes, or to the catch-up of the next start",
            left.size(),
            left.get(0).named(),
            left.get(0).scheduledAt());
        left.forEach(FireQueue.this::forget);
      }
      busyCount = 0;
    }

    /** Whether a held fire comes due before a stop under way gives up (10 s after it began). */
    private boolean dueBeforeStop(Firing.Due first) {
      return first != null
          && firing.clocks().earlyBy(first).toNanos() < closeDeadline - System.nanoTime();
    }

    /**
     * How long to wait for the next fire: until the first held one comes due or the busy ones are
     * tried again, 100 ms at most.
     */
    private long pollMillis(Firing.Due firstHeld) {
      long wait =
          firstHeld == null ? 100 : Math.min(100, firing.clocks().earlyBy(firstHeld).toMillis());
      return Math.max(1, busy.millisUntilProbes(System.nanoTime(), wait));
    }

    /**
     * Says once, while it lasts, that a job's row has been held so long that its fires are over a
     * minute late: nothing else would tell an operator before they are dropped.
     */
    private void heldLongWarning(Firing.Due fire) {
      if (firing.clocks().lateBy(fire).compareTo(Firing.LATE) > 0 && heldLong.add(fire.jobId())) {
        log.warn(
            "job {}'s row has been held by another transaction for over {} s: its fires wait (the"
                + " first at {}); once the row is free, those less than {} s late start and the"
                + " others are recorded as missed, and any still waiting {} min after its time is"
                + " dropped; look for a long transaction on the job table (on MySQL/MariaDB:"
                + " information_schema.innodb_trx)",
            fire.named(),
            Firing.LATE.toSeconds(),
            fire.scheduledAt(),
            Firing.LATE.toSeconds(),
            Firing.GIVE_UP.toMinutes());
      }
    }

    /**
     * Parks the fires whose job's row was held; puts the fires the database failed back, after a
     * pause; drops those failing too long.
     */
    private void retry(List<Firing.Due> taken, List<Firing.Result> results)
        throws InterruptedException {
      List<Firing.Due> again = new ArrayList<>();
      List<Firing.Due> dropped = new ArrayList<>();
      List<Firing.Due> freed = new ArrayList<>();
      String why = null;
      for (int i = 0; i < taken.size(); i++) {
        Firing.Due fire = taken.get(i);
        if (results.get(i).jobBusy() && !firing.tooOldToRetry(fire)) {
          busy.park(fire, System.nanoTime());
          heldLongWarning(fire);
        } else if (results.get(i).failed()) {
          why = results.get(i).reason();
          (firing.tooOldToRetry(fire) || closed ? dropped : again).add(fire);
        } else {
          forget(fire);
          // Its row was free: the job's fires parked behind this one go now.
          freed.addAll(busy.release(fire.jobId()));
          heldLong.remove(fire.jobId());
        }
      }
      for (int i = freed.size() - 1; i >= 0; i--) {
        due.addFirst(freed.get(i));
      }
      dropped.forEach(FireQueue.this::forget);
      if (closed && !dropped.isEmpty()) {
        log.warn(
            "stopped with {} fire(s) the database failed, left unclaimed: {}", dropped.size(), why);
        return;
      }
      if (!dropped.isEmpty()) {
        droppedSince += dropped.size();
        // One line a minute at most: a long outage, or a row held for good, drops fires every
        // second.
        if (droppedLogged == 0 || System.nanoTime() - droppedLogged >= 60_000_000_000L) {
          log.error(
              "{} fire(s) dropped after failing for {} min (among them job {} at {}): {}",
              droppedSince,
              Firing.GIVE_UP.toMinutes(),
              dropped.get(0).named(),
              dropped.get(0).scheduledAt(),
              why);
          droppedLogged = System.nanoTime();
          droppedSince = 0;
        }
      }
      if (again.isEmpty()) {
        return;
      }
      log.warn("{} fire(s) tried again in {} ms: {}", again.size(), retryPause.toMillis(), why);
      Thread.sleep(retryPause.toMillis());
      // Ahead of what came meanwhile: a job's fires stay in order.
      for (int i = again.size() - 1; i >= 0; i--) {
        due.addFirst(again.get(i));
      }
    }
  }
}
