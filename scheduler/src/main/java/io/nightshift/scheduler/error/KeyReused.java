package io.nightshift.scheduler.error;

/**
 * An idempotency key the caller already used for a different request: 422 (a resent request must be
 * the same request; a new request needs a new key).
 */
public final class KeyReused extends NightshiftException {
  public KeyReused(String message) {
    super("idempotency_key_reused", message);
  }
}
