package io.nightshift.scheduler.error;

/** The caller holds as many of something as it may (open streams, connections): 429. */
public final class TooMany extends NightshiftException {
  public TooMany(String message) {
    super("too_many", message);
  }
}
