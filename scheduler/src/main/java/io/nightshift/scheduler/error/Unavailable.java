package io.nightshift.scheduler.error;

/**
 * This node cannot do it now, another node (or this one later) can: 503 with {@code Retry-After} (a
 * draining node asked to start a run).
 */
public final class Unavailable extends NightshiftException {
  private final int retryAfterSeconds;

  public Unavailable(String code, String message, int retryAfterSeconds) {
    super(code, message);
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** When to send the request again, in seconds. */
  public int retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
