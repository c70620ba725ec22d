package io.nightshift.scheduler.logs;

import java.util.List;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The hand-over of read batches from the log subscriber's reader to its writer, one batch at a
 * time, and the count of batches handed over and not yet stored and acknowledged (or given up).
 */
final class BatchHandOver {
  private final SynchronousQueue<List<StreamEntry>> queue = new SynchronousQueue<>();
  private final Object idle = new Object();
  private int inFlight; // under idle

  /**
   * Gives the batch to the writer once it has finished the previous one; false if {@code running}
   * turned false first (the batch then counts as done).
   */
  boolean offer(List<StreamEntry> entries, BooleanSupplier running) throws InterruptedException {
    synchronized (idle) {
      inFlight++;
    }
    while (running.getAsBoolean()) {
      if (queue.offer(entries, 100, TimeUnit.MILLISECONDS)) {
        return true;
      }
    }
    done();
    return false;
  }

  /** The next batch, or null when none came within 100 ms. */
  List<StreamEntry> poll() throws InterruptedException {
    return queue.poll(100, TimeUnit.MILLISECONDS);
  }

  /** The writer finished a batch it took (stored and acknowledged, or given up). */
  void done() {
    synchronized (idle) {
      inFlight--;
      idle.notifyAll();
    }
  }

  /** Waits until every batch handed over is done, or {@code running} turned false. */
  void awaitIdle(BooleanSupplier running) throws InterruptedException {
    synchronized (idle) {
      while (inFlight > 0 && running.getAsBoolean()) {
        idle.wait(100);
      }
    }
  }
}
