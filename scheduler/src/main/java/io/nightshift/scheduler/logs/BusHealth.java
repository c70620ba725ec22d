package io.nightshift.scheduler.logs;

/**
 * Whether log lines flow. {@code detail} is a sentence for /ready, such as "redis down since
 * 2026-11-22T03:30:01.123Z (Connection refused), buffering 1234 lines"; {@code bufferedLines} is
 * what waits in memory.
 */
public record BusHealth(boolean ok, String detail, long bufferedLines) {
  public BusHealth {
    if (detail == null) {
      throw new IllegalArgumentException("detail is required");
    }
  }
}
