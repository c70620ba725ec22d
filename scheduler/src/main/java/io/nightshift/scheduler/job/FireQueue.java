package io.nightshift.scheduler.job;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fires Quartz hands over, claimed in batches: what piled up while a claim was being written
 * goes into the next one ({@link Firing#fireAll}), so 500 jobs firing in the same second cost a few
 * transactions, not 500, and Quartz's threads never wait on the database. Jobs are spread over
 * {@link #LANES} lanes by id, each with its own thread: the lanes claim in parallel without ever
 * waiting on each other's job rows, and a job's fires are claimed in the order they came.
 */
final class FireQueue implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FireQueue.class);

  /** Claiming threads. */
  static final int LANES = 4;

  /** Fires a lane takes at once; {@link Firing#fireAll} splits them into transactions. */
  static final int TAKEN = 1000;

  private final List<Lane> lanes = new ArrayList<>();
  private final Firing firing;
  private volatile boolean closed;

  FireQueue(Firing firing) {
    this.firing = firing;
    for (int i = 0; i < LANES; i++) {
      lanes.add(new Lane("nightshift-fire-claimer-" + i));
    }
  }

  /** A fire Quartz triggered: claimed as soon as its lane is free. */
  void add(Firing.Due fire) {
    lanes.get((int) Math.floorMod(fire.jobId(), (long) LANES)).due.add(fire);
  }

  /** Fires waiting to be claimed. */
  int waiting() {
    return lanes.stream().mapToInt(l -> l.due.size()).sum();
  }

  /** Claims what was handed over (for at most 10 s), then stops. */
  @Override
  public void close() {
    closed = true;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
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
    final BlockingQueue<Firing.Due> due = new LinkedBlockingQueue<>();
    final Thread thread;

    Lane(String name) {
      thread = new Thread(this::claimAll, name);
      thread.setDaemon(true);
      thread.start();
    }

    private void claimAll() {
      while (!closed || !due.isEmpty()) {
        Firing.Due first;
        try {
          first = due.poll(100, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          return;
        }
        if (first == null) {
          continue;
        }
        List<Firing.Due> taken = new ArrayList<>();
        taken.add(first);
        due.drainTo(taken, TAKEN - 1);
        try {
          firing.fireAll(taken);
        } catch (RuntimeException e) {
          log.error("{} fire(s) could not be claimed (from {})", taken.size(), first, e);
        }
      }
    }
  }
}
