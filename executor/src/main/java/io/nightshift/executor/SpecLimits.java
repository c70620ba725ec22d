package io.nightshift.executor;

import java.time.Duration;

/**
 * The limits every step spec ({@link ProcessSpec}, {@link HttpSpec}) carries, checked alike: a
 * positive timeout or none, a cap of 0 or more logged lines, and a line length of 1 or more.
 */
final class SpecLimits {
  private SpecLimits() {}

  static void checkTimeout(Duration timeout) {
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException("timeout must be positive or null, got " + timeout);
    }
  }

  static void checkLines(long maxLines, int maxLineLength) {
    if (maxLines < 0) {
      throw new IllegalArgumentException("maxLines must be >= 0, got " + maxLines);
    }
    if (maxLineLength < 1) {
      throw new IllegalArgumentException("maxLineLength must be >= 1, got " + maxLineLength);
    }
  }
}
