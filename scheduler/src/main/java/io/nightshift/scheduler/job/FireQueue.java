package io.nightshift.scheduler.job;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fires Quartz hands over, claimed by one thread: what piled up while a claim was being written
 * goes into the next one ({@link Firing#fireAll}), so 500 jobs firing in the same second cost a few
 * transactions, not 500, and Quartz's threads never wait on the database.
 */
final class FireQueue implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FireQueue.class);

  /** Fires taken at once; {@link Firing#fireAll} splits them into transactions. */
  static final int TAKEN = 1000;

  private final BlockingQueue<Firing.Due> due = new LinkedBlockingQueue<>();
  private final Firing firing;
  private final Thread claimer;
  private volatile boolean closed;

  FireQueue(Firing firing) {
    this.firing = firing;
    this.claimer = new Thread(this::claimAll, "nightshift-fire-claimer");
    claimer.setDaemon(true);
    claimer.start();
  }

  /** A fire Quartz triggered: claimed as soon as the claimer is free. */
  void add(Firing.Due fire) {
    due.add(fire);
  }

  /** Fires waiting to be claimed. */
  int waiting() {
    return due.size();
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

  /** Claims what was handed over (for at most 10 s), then stops. */
  @Override
  public void close() {
    closed = true;
    try {
      claimer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (claimer.isAlive()) {
      log.warn(
          "stopped with {} fire(s) unclaimed; the next start records them as missed", waiting());
      claimer.interrupt();
    }
  }
}
