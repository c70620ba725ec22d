package io.nightshift.scheduler.run;

import io.nightshift.executor.LineSink;
import io.nightshift.executor.Outcome;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The drain hook on the dispatch seam: wraps this node's {@link AttemptExecutor}, knows the
 * attempts it executes, and once {@link #drain() draining} takes no new ones ({@link #accepting()}
 * is false). {@link #stop} ends what is still running after the grace: each such attempt is killed
 * (its whole process tree) and reported FAILED with the given reason, so that the step's retries
 * decide, as for an executor lost.
 */
public final class DrainingExecutor implements AttemptExecutor {
  private final AttemptExecutor delegate;
  private final Set<Tracked> executing = ConcurrentHashMap.newKeySet();
  private volatile boolean draining;

  public DrainingExecutor(AttemptExecutor delegate) {
    this.delegate = delegate;
  }

  @Override
  public Started start(Attempt attempt, LineSink sink) throws IOException {
    // An attempt recorded RUNNING just before the drain began still starts: it is already owned.
    Started started = delegate.start(attempt, sink);
    Tracked tracked = new Tracked(started.launched());
    executing.add(tracked);
    tracked.outcome().whenComplete((outcome, failure) -> ended(tracked));
    return new Started(tracked, started.process());
  }

  @Override
  public boolean accepting() {
    return !draining;
  }

  @Override
  public java.time.Instant drainingSince() {
    return drainingSince;
  }

  /** From now on ({@code since}) no new attempt starts here. */
  public void drain(java.time.Instant since) {
    drainingSince = since;
    draining = true;
  }

  private volatile java.time.Instant drainingSince;

  public boolean draining() {
    return draining;
  }

  /** Attempts executing here now. */
  public int executing() {
    return executing.size();
  }

  /** Waits up to {@code timeout} until no attempt executes here; true when none does. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (this) {
      while (!executing.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      return true;
    }
  }

  /** Kills every attempt still executing; each is reported FAILED with {@code reason}. */
  public int stop(String reason) {
    List<Tracked> left = List.copyOf(executing);
    left.forEach(t -> t.stop(reason));
    return left.size();
  }

  private synchronized void ended(Tracked tracked) {
    executing.remove(tracked);
    notifyAll();
  }

  /** An executing attempt whose outcome says "stopped by the drain" when the drain killed it. */
  @Override
  public int killLeftovers(long stepRunId) {
    return delegate.killLeftovers(stepRunId);
  }

  @Override
  public java.util.Set<Long> leftovers() {
    return delegate.leftovers();
  }

  @Override
  public void close() {
    delegate.close();
  }

  private static final class Tracked implements Launched {
    private final Launched inner;
    private final CompletableFuture<Outcome> outcome;
    private volatile String stoppedBecause;

    Tracked(Launched inner) {
      this.inner = inner;
      this.outcome = inner.outcome().thenApply(this::asStopped);
    }

    private Outcome asStopped(Outcome o) {
      String reason = stoppedBecause;
      if (reason == null || o.succeeded()) {
        return o;
      }
      return new Outcome(
          Outcome.Status.FAILED, o.exitCode(), reason, o.duration(), o.lines(), o.dropped());
    }

    @Override
    public void stop(String reason) {
      stoppedBecause = reason;
      inner.stop(reason);
    }

    @Override
    public CompletableFuture<Outcome> outcome() {
      return outcome;
    }

    @Override
    public void cancel() {
      inner.cancel();
    }
  }
}
