package io.nightshift.scheduler.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.IntSupplier;

/**
 * How long one kind of stored history is kept, by whose clock, and how many rows one delete takes
 * at most (short statements, so that a purge never holds many locks at once).
 */
public record Retention(Duration keep, int batch, Clock clock) {
  public Retention {
    if (keep.isNegative() || keep.isZero()) {
      throw new IllegalArgumentException("retention must be positive, got " + keep);
    }
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be positive, got " + batch);
    }
  }

  /** Now less the retention: what is older goes. */
  public Instant cutoff() {
    return clock.instant().minus(keep);
  }

  /** Runs {@code delete} (of at most {@link #batch} rows) until one deletes fewer; the total. */
  public int repeat(IntSupplier delete) {
    return repeat(batch, delete);
  }

  /** Runs {@code delete} (of at most {@code batch} rows) until one deletes fewer; the total. */
  public static int repeat(int batch, IntSupplier delete) {
    int total = 0;
    int deleted;
    do {
      deleted = delete.getAsInt();
      total += deleted;
    } while (deleted == batch);
    return total;
  }
}
