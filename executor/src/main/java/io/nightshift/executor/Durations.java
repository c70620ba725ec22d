package io.nightshift.executor;

import java.math.BigDecimal;
import java.time.Duration;

/** Durations in log lines and error sentences: "5 s", "1.5 s", "250 ms". */
final class Durations {
  private Durations() {}

  static String human(Duration duration) {
    long ms = duration.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    return BigDecimal.valueOf(ms, 3).stripTrailingZeros().toPlainString() + " s";
  }

  static Duration between(java.time.Instant from, java.time.Instant to) {
    Duration d = Duration.between(from, to);
    return d.isNegative() ? Duration.ZERO : d;
  }
}
