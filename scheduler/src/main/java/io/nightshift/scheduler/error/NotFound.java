package io.nightshift.scheduler.error;

/** The named thing does not exist. */
public final class NotFound extends NightshiftException {
  public NotFound(String what, Object id) {
    super("not_found", what + " '" + id + "' does not exist");
  }
}
