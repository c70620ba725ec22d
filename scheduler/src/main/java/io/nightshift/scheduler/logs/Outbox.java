package io.nightshift.scheduler.logs;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A bounded FIFO between many publishers and one sender. The sender peeks a batch, hands it on, and
 * only then removes it, so a failed hand-over is retried with the same items in the same order.
 * Publishers wait while it is full. Every item gets a sequence number, which lets {@link
 * #awaitHandedOn} wait for "everything put before now".
 */
final class Outbox<T> {
  private final int capacity;
  private final ArrayDeque<T> items = new ArrayDeque<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notFull = lock.newCondition();
  private final Condition notEmpty = lock.newCondition();
  private final Condition handed = lock.newCondition();
  private long put;
  private long handedOn;
  private boolean closed;
  private int batchSignal = Integer.MAX_VALUE;

  Outbox(int capacity) {
    this.capacity = capacity;
  }

  /**
   * Appends, waiting for room while full. The wait ignores interrupts (the item must not be lost)
   * and restores the thread's interrupt flag afterwards.
   *
   * @throws IllegalStateException once closed
   */
  void put(T item) {
    boolean interrupted = false;
    lock.lock();
    try {
      while (items.size() >= capacity && !closed) {
        try {
          notFull.await();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (closed) {
        throw new IllegalStateException("the log bus is closed");
      }
      items.addLast(item);
      put++;
      int size = items.size();
      if (size == 1 || size == batchSignal) {
        notEmpty.signal();
      }
    } finally {
      lock.unlock();
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * The first {@code max} items (not removed), waiting for at least one; when fewer than {@code
   * max} are there, waits up to {@code linger} for more. Empty only when closed and drained.
   */
  List<T> peek(int max, Duration linger) throws InterruptedException {
    lock.lockInterruptibly();
    try {
      batchSignal = max;
      while (items.isEmpty()) {
        if (closed) {
          return List.of();
        }
        notEmpty.await();
      }
      long nanos = linger.toNanos();
      while (items.size() < max && nanos > 0 && !closed) {
        nanos = notEmpty.awaitNanos(nanos);
      }
      List<T> batch = new ArrayList<>(Math.min(max, items.size()));
      Iterator<T> it = items.iterator();
      while (batch.size() < max && it.hasNext()) {
        batch.add(it.next());
      }
      return batch;
    } finally {
      lock.unlock();
    }
  }

  /** The first {@code count} items were handed on: drop them and wake publishers and flushers. */
  void remove(int count) {
    lock.lock();
    try {
      for (int i = 0; i < count; i++) {
        items.removeFirst();
      }
      handedOn += count;
      notFull.signalAll();
      handed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Waits until every item put before this call is handed on; false on timeout. */
  boolean awaitHandedOn(Duration timeout) throws InterruptedException {
    lock.lockInterruptibly();
    try {
      long target = put;
      long nanos = timeout.toNanos();
      while (handedOn < target) {
        if (nanos <= 0) {
          return false;
        }
        nanos = handed.awaitNanos(nanos);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  int size() {
    lock.lock();
    try {
      return items.size();
    } finally {
      lock.unlock();
    }
  }

  /** No more puts; the sender drains what is left, then {@link #peek} returns empty. */
  void close() {
    lock.lock();
    try {
      closed = true;
      notFull.signalAll();
      notEmpty.signalAll();
    } finally {
      lock.unlock();
    }
  }

  boolean isClosed() {
    lock.lock();
    try {
      return closed;
    } finally {
      lock.unlock();
    }
  }
}
