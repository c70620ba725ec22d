package io.nightshift.scheduler.error;

/**
 * The request is well formed but clashes with the current state (duplicate name, decision made).
 */
public final class Conflict extends NightshiftException {
  public Conflict(String message) {
    super("conflict", message);
  }

  /** A conflict a client may act on by its {@code code} (such as {@code job_run_active}). */
  public Conflict(String code, String message) {
    super(code, message);
  }
}
