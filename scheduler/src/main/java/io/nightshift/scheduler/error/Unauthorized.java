package io.nightshift.scheduler.error;

/** No credentials, or credentials that match no token. */
public final class Unauthorized extends NightshiftException {
  public Unauthorized(String message) {
    super("unauthorized", message);
  }
}
