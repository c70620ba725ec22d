package io.nightshift.scheduler.run;

import java.time.Duration;

/**
 * How attempts are held across nodes: an owner renews its attempts' leases every {@code renewEvery}
 * for {@code expiry}; every node looks for expired leases, stalled runs and due work every {@code
 * sweepEvery}, and for cancel requests of the attempts it runs every {@code cancelPollEvery}. A
 * lost attempt is taken over at most {@code expiry + sweepEvery} after its owner stopped (or after
 * the judging node started or last failed to connect to the database, if later). A run counts as
 * stalled (nothing moves it on any more) only once nothing about it was created, changed or came
 * due for {@code stallGrace}: until then the node that is moving it on owns its next moves.
 */
public record LeaseSettings(
    Duration renewEvery,
    Duration expiry,
    Duration sweepEvery,
    Duration cancelPollEvery,
    Duration stallGrace) {
  public LeaseSettings {
    for (Duration d :
        new Duration[] {renewEvery, expiry, sweepEvery, cancelPollEvery, stallGrace}) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("lease durations must be positive");
      }
    }
    if (expiry.compareTo(renewEvery) <= 0) {
      throw new IllegalArgumentException("the lease expiry must be longer than its renewal");
    }
  }

  /** With the default stall grace: three sweep periods. */
  public LeaseSettings(
      Duration renewEvery, Duration expiry, Duration sweepEvery, Duration cancelPollEvery) {
    this(renewEvery, expiry, sweepEvery, cancelPollEvery, defaultStallGrace(sweepEvery));
  }

  /** Three sweep periods: a run some node is moving on is never taken from it by a sweep. */
  public static Duration defaultStallGrace(Duration sweepEvery) {
    return sweepEvery.multipliedBy(3);
  }

  /**
   * Renew every 10 s for 30 s, sweep every 5 s: a lost step is taken over within 35 s; a stalled
   * run is moved on 15 s to 20 s after its last change.
   */
  public static LeaseSettings defaults() {
    return new LeaseSettings(
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofSeconds(5),
        Duration.ofMillis(500));
  }
}
