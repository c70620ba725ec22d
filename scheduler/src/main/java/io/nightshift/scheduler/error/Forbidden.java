package io.nightshift.scheduler.error;

/** The caller is known but may not do this. */
public final class Forbidden extends NightshiftException {
  public Forbidden(String message) {
    super("forbidden", message);
  }
}
