package io.nightshift.scheduler.run;

import io.nightshift.executor.DaemonThreads;
import java.util.concurrent.Executor;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The engine's threads, taking waiting work by rank, then in order of arrival: an attempt's
 * reported end first (it ends runs and frees what the attempt held), then the rest (timers, sweeps,
 * decisions), and a new run's first move last. Under a backlog (a burst of fires) runs that are
 * under way finish instead of waiting behind thousands of runs yet to start.
 */
final class EnginePool extends ThreadPoolExecutor {
  enum Rank {
    ENDING,
    NORMAL,
    STARTING
  }

  private final AtomicLong arrivals = new AtomicLong();

  EnginePool(int threads, String name) {
    super(
        threads,
        threads,
        0,
        TimeUnit.MILLISECONDS,
        new PriorityBlockingQueue<>(),
        new DaemonThreads(name));
  }

  @Override
  public void execute(Runnable task) {
    super.execute(
        task instanceof Ranked ? task : new Ranked(task, Rank.NORMAL, arrivals.incrementAndGet()));
  }

  /** Work of {@code rank}. */
  void execute(Runnable task, Rank rank) {
    super.execute(new Ranked(task, rank, arrivals.incrementAndGet()));
  }

  /** This pool, for work of {@code rank} (e.g. an attempt's outcome completing a future). */
  Executor at(Rank rank) {
    return task -> execute(task, rank);
  }

  private record Ranked(Runnable task, Rank rank, long arrival)
      implements Runnable, Comparable<Ranked> {
    @Override
    public void run() {
      task.run();
    }

    @Override
    public int compareTo(Ranked other) {
      int byRank = rank.compareTo(other.rank);
      return byRank != 0 ? byRank : Long.compare(arrival, other.arrival);
    }
  }
}
