package io.nightshift.scheduler.secrets;

/**
 * A stored secret cannot be read (its key is not configured, the key does not fit, the value is
 * damaged) or none can be stored (no key). The message says which key, never a secret.
 */
public final class SecretKeyException extends IllegalStateException {
  public SecretKeyException(String message) {
    super(message);
  }
}
