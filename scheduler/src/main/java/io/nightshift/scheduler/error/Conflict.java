package io.nightshift.scheduler.error;

/**
 * The request is well formed but clashes with the current state (duplicate name, decision made).
 */
public final class Conflict extends NightshiftException {
  public Conflict(String message) {
    super("conflict", message);
  }
}
