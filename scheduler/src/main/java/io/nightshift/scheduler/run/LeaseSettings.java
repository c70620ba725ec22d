package io.nightshift.scheduler.run;

import java.time.Duration;

/**
 * How attempts are held across nodes: an owner renews its attempts' leases every {@code renewEvery}
 * for {@code expiry}; every node looks for expired leases, stalled runs and due work every {@code
 * sweepEvery}, and for cancel requests of the attempts it runs every {@code cancelPollEvery}. A
 * lost attempt is taken over at most {@code expiry + sweepEvery} after its owner stopped.
 */
public record LeaseSettings(
    Duration renewEvery, Duration expiry, Duration sweepEvery, Duration cancelPollEvery) {
  public LeaseSettings {
    for (Duration d : new Duration[] {renewEvery, expiry, sweepEvery, cancelPollEvery}) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("lease durations must be positive");
      }
    }
    if (expiry.compareTo(renewEvery) <= 0) {
      throw new IllegalArgumentException("the lease expiry must be longer than its renewal");
    }
  }

  /** Renew every 10 s for 30 s, sweep every 5 s: a lost step is taken over within 35 s. */
  public static LeaseSettings defaults() {
    return new LeaseSettings(
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofSeconds(5),
        Duration.ofMillis(500));
  }
}
