package io.nightshift.scheduler.run;

import io.nightshift.scheduler.store.Sql;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records the ends of the attempts this node executes (steps and undos) so that none is lost to a
 * database outage: the attempt stays this node's until its end is written, and the end is kept in
 * memory ({@link EngineContext#endsWaiting}) and on disk ({@link StepEndJournal}) meanwhile.
 */
final class EndRecording {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final EngineContext ctx;

  /**
   * Attempts whose end could not reach the database: kept on disk ({@link StepEndJournal}; true),
   * or not (false), until recorded.
   */
  private final Map<Long, Boolean> kept = new ConcurrentHashMap<>();

  EndRecording(EngineContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Records an attempt's end ({@code record}, retried on a failed write), then lets the attempt go:
   * true once recorded. While the database is unreachable ({@link Sql#isConnectionError}: a busy
   * pool gives up as before, its lease left to run out) the attempt stays this node's (its lease is
   * renewed as soon as the database is back) and {@code again} is handed to the pool after the next
   * successful renewal (false): an attempt that ended through an outage, however long, is recorded
   * with its own outcome, never failed as lost. From its first write that could not reach the
   * database, the end is also kept on disk ({@link StepEndJournal}), for this node's next start
   * should it be stopped before then.
   */
  boolean recorded(StepRun step, EndReport end, Runnable record, Runnable again) {
    // A write to a database that went away fails only after the pool's connection timeout: an end
    // whose write takes longer than keepEndAfter is kept on disk meanwhile, so that a node killed
    // while it waits does not lose it.
    java.util.concurrent.ScheduledFuture<?> slow =
        ctx.timers.schedule(
            () -> keepWhileWaiting(step, end),
            ctx.settings.keepEndAfter().toMillis(),
            java.util.concurrent.TimeUnit.MILLISECONDS);
    try {
      return recordedOrWaiting(step, end, record, again);
    } finally {
      slow.cancel(false);
    }
  }

  /** Keeps the end on disk unless it was kept already or its write has completed meanwhile. */
  private void keepWhileWaiting(StepRun step, EndReport end) {
    synchronized (kept) {
      if (ctx.executing.containsKey(step.id()) && !kept.containsKey(step.id())) {
        kept.put(step.id(), ctx.journal.keep(step, end));
      }
    }
  }

  private boolean recordedOrWaiting(StepRun step, EndReport end, Runnable record, Runnable again) {
    try {
      ctx.retry.onFailedWrite(
          () -> {
            try {
              record.run();
            } catch (RuntimeException e) {
              // Kept on disk at the first write that could not reach the database, so that a node
              // stopped while the write is still being tried does not lose the end either.
              if (Sql.isConnectionError(e)) {
                synchronized (kept) {
                  if (!kept.containsKey(step.id())) {
                    kept.put(step.id(), ctx.journal.keep(step, end));
                  }
                }
              }
              throw e;
            }
          });
    } catch (RuntimeException e) {
      if (Sql.isConnectionError(e) && ctx.executing.containsKey(step.id())) {
        if (ctx.endsWaiting.put(step.id(), again) == null) {
          log.warn(
              "step run {}: its end waits for the database (recorded after the next lease"
                  + " renewal{}): {}",
              step.id(),
              Boolean.TRUE.equals(kept.get(step.id()))
                  ? ", or at this node's next start: kept on disk"
                  : "",
              e.toString());
        }
        return false;
      }
      letGo(step);
      throw e;
    }
    letGo(step);
    return true;
  }

  private void letGo(StepRun step) {
    ctx.endsWaiting.remove(step.id());
    synchronized (kept) {
      if (kept.remove(step.id()) != null) {
        ctx.journal.drop(step.id());
      }
      ctx.executing.remove(step.id());
    }
  }
}
