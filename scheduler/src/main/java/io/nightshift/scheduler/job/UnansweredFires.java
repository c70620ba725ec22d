package io.nightshift.scheduler.job;

import io.nightshift.scheduler.store.Sql;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jooq.DSLContext;

/**
 * The fires this node instance wrote in a transaction whose commit answered a lost connection: it
 * may have gone through. Such a fire, found recorded under this node's name when it is tried again,
 * is this instance's own (its run is handed on); any other fire found recorded is a duplicate, even
 * one recorded under this node's name by another live instance that shares it by mistake.
 */
final class UnansweredFires {
  private final String node;
  private final Map<Map.Entry<Long, Instant>, Boolean> fires = new ConcurrentHashMap<>();
  private volatile Instant prunedAt;

  /** For the instance named {@code node}. */
  UnansweredFires(String node) {
    this.node = node;
  }

  /**
   * Writes {@code fires} in one transaction ({@code body}); when its commit fails with a lost
   * connection (SQL state class 08), the fires are noted. A failure before the commit (no
   * connection, a statement that failed) wrote nothing and notes nothing.
   */
  <T> T write(
      DSLContext dsl, Collection<Map.Entry<Long, Instant>> written, Function<DSLContext, T> body) {
    boolean[] committing = {false};
    try {
      return dsl.transactionResult(
          cfg -> {
            T result = body.apply(cfg.dsl());
            committing[0] = true;
            return result;
          });
    } catch (RuntimeException e) {
      if (committing[0] && Sql.isConnectionError(e)) {
        for (Map.Entry<Long, Instant> fire : written) {
          fires.put(fire, Boolean.TRUE);
        }
      }
      throw e;
    }
  }

  /**
   * Whether {@code recorded} (the fire of {@code jobId} at {@code scheduledAt} as stored, or null)
   * is this instance's own: recorded under its name by a write of it that went unanswered.
   */
  boolean own(FireRepository.Recorded recorded, long jobId, Instant scheduledAt) {
    return recorded != null
        && node.equals(recorded.node())
        && fires.containsKey(Map.entry(jobId, scheduledAt));
  }

  /** The fire is settled (claimed, or found recorded): nothing of it is in doubt any more. */
  void settled(long jobId, Instant scheduledAt) {
    fires.remove(Map.entry(jobId, scheduledAt));
  }

  /**
   * Forgets fires scheduled more than {@code keep} before {@code now} (twice the time a fire is
   * tried again, so none is forgotten while it may still be tried); looks at most once a minute.
   */
  void prune(Instant now, Duration keep) {
    Instant last = prunedAt;
    if (fires.isEmpty() || (last != null && now.isBefore(last.plusSeconds(60)))) {
      return;
    }
    prunedAt = now;
    Instant oldest = now.minus(keep.multipliedBy(2));
    fires.keySet().removeIf(fire -> fire.getValue().isBefore(oldest));
  }

  int size() {
    return fires.size();
  }
}
