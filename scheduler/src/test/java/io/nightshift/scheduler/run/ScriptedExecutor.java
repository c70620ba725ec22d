package io.nightshift.scheduler.run;

import io.nightshift.executor.LineSink;
import io.nightshift.executor.Outcome;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test double of the dispatch seam: it starts nothing; the test reports each attempt's outcome
 * when it wants, and sees which attempts the engine handed over and which it asked to kill.
 */
final class ScriptedExecutor implements AttemptExecutor {
  final List<Long> started = new CopyOnWriteArrayList<>();
  final Set<Long> killed = ConcurrentHashMap.newKeySet();

  /**
   * Lost attempts whose leftovers (a cgroup's processes) the engine asked this executor to kill.
   */
  final Set<Long> leftoversKilled = ConcurrentHashMap.newKeySet();

  private final Map<Long, CompletableFuture<Outcome>> outcomes = new ConcurrentHashMap<>();

  /** Whether it takes new attempts (false: as while its node drains). */
  volatile boolean accepting = true;

  @Override
  public boolean accepting() {
    return accepting;
  }

  /** What it says an earlier incarnation of its node left running ({@link #leftovers}). */
  volatile Set<Long> leftovers = Set.of();

  @Override
  public Set<Long> leftovers() {
    return leftovers;
  }

  /** The process group it claims to have started (null: none, as for HTTP). */
  volatile ProcessId process;

  @Override
  public Started start(Attempt attempt, LineSink sink) {
    long id = attempt.step().id();
    CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    outcomes.put(id, outcome);
    started.add(id);
    return new Started(
        new Launched() {
          @Override
          public CompletableFuture<Outcome> outcome() {
            return outcome;
          }

          @Override
          public void cancel() {
            killed.add(id);
          }
        },
        process);
  }

  @Override
  public int killLeftovers(long stepRunId) {
    leftoversKilled.add(stepRunId);
    return 0;
  }

  /** Reports the attempt's end, as an executor does when its process exits. */
  void report(long stepRunId, Outcome.Status status) {
    outcomes
        .get(stepRunId)
        .complete(
            new Outcome(
                status,
                status == Outcome.Status.SUCCEEDED ? 0 : 1,
                status == Outcome.Status.SUCCEEDED ? null : status.name().toLowerCase(),
                Duration.ofMillis(5),
                0,
                0));
  }

  /** Ends every attempt the engine asked to kill, as a killed process would. */
  void endKilled() {
    for (long id : killed) {
      if (!outcomes.get(id).isDone()) {
        report(id, Outcome.Status.CANCELED);
      }
    }
  }
}
