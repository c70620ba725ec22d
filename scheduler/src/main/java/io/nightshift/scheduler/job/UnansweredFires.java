package io.nightshift.scheduler.job;

import io.nightshift.scheduler.store.Sql;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fires this node instance wrote in a transaction that answered a lost connection: its commit
 * may have gone through. Such a fire, found recorded under this node's name when it is tried again,
 * is this instance's own (its run is handed on); any other fire found recorded is a duplicate, even
 * one recorded under this node's name by another live instance that shares it by mistake.
 */
final class UnansweredFires {
  private final Map<Map.Entry<Long, Instant>, Boolean> fires = new ConcurrentHashMap<>();

  /** Notes {@code written} when {@code failure} is a lost connection (SQL state class 08). */
  void noteIfLost(RuntimeException failure, Collection<Map.Entry<Long, Instant>> written) {
    if (Sql.isConnectionError(failure)) {
      for (Map.Entry<Long, Instant> fire : written) {
        fires.put(fire, Boolean.TRUE);
      }
    }
  }

  /** Whether this instance's write of the fire may have committed unanswered. */
  boolean mine(long jobId, Instant scheduledAt) {
    return fires.containsKey(Map.entry(jobId, scheduledAt));
  }

  /** The fire is settled (claimed, or found recorded): nothing of it is in doubt any more. */
  void settled(long jobId, Instant scheduledAt) {
    fires.remove(Map.entry(jobId, scheduledAt));
  }

  /**
   * Forgets fires scheduled more than {@code keep} before {@code now} (no longer tried again);
   * looks at most once a minute.
   */
  void prune(Instant now, Duration keep) {
    Instant last = prunedAt;
    if (fires.isEmpty() || (last != null && now.isBefore(last.plusSeconds(60)))) {
      return;
    }
    prunedAt = now;
    Instant oldest = now.minus(keep);
    fires.keySet().removeIf(fire -> fire.getValue().isBefore(oldest));
  }

  private volatile Instant prunedAt;

  int size() {
    return fires.size();
  }
}
