package io.nightshift.scheduler.run;

import io.nightshift.scheduler.store.Sql;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;

/**
 * When this node last found the database unreachable (or its clock stepped), by the engine's clock.
 * Nobody can renew a lease through an outage, so after one this node judges leases again only once
 * it has reached the database for a full lease expiry: an owner cut off by the same outage gets the
 * time to renew that it would have had, instead of a step of the nightly backup being failed as
 * lost the moment the database is back.
 */
final class DatabaseContact {
  private final Clock clock;
  private final AtomicReference<Instant> lostAt = new AtomicReference<>();

  /**
   * A node counts as just back from an outage when it starts: it may be starting as the database
   * returns, before the owners of running attempts could renew.
   */
  DatabaseContact(Clock clock) {
    this.clock = clock;
    lostAt.set(clock.instant());
  }

  /**
   * Notes {@code failure} when it says the database could not be reached ({@link
   * Sql#isConnectionError}); a busy pool does not count, or a node short of connections would never
   * take a dead node's attempts over.
   */
  void failed(Throwable failure) {
    if (Sql.isConnectionError(failure)) {
      Instant now = clock.instant();
      lostAt.accumulateAndGet(now, (a, b) -> a == null || b.isAfter(a) ? b : a);
    }
  }

  /** The shortest time between two holds for steps of the database's clock. */
  static final Duration STEP_HOLD_EVERY = Duration.ofMinutes(5);

  private Instant stepHeldAt; // guarded by this

  /**
   * The database server's clock stepped forward, as this node just read: leases written by nodes
   * that have not read the new time yet look expired by it. Until every node has read it, within
   * {@code settle}, and renewed, no lease is judged: this counts as an outage lasting {@code
   * settle} from now. Once per {@link #STEP_HOLD_EVERY} at most (false: not held), so that clocks
   * that seem to step at every reading (connections reaching servers whose clocks differ, a VM
   * paused again and again) cannot stop lease judgement for good.
   */
  synchronized boolean clockStepped(Duration settle) {
    Instant now = clock.instant();
    if (stepHeldAt != null && now.isBefore(stepHeldAt.plus(STEP_HOLD_EVERY))) {
      return false;
    }
    stepHeldAt = now;
    lostAt.accumulateAndGet(now.plus(settle), (a, b) -> a == null || b.isAfter(a) ? b : a);
    return true;
  }

  /** Whether no failure to reach the database was noted since {@code since}. */
  boolean heldSince(Instant since) {
    Instant lost = lostAt.get();
    return lost == null || lost.isBefore(since);
  }
}
