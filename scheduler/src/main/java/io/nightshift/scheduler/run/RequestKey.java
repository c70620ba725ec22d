package io.nightshift.scheduler.run;

import java.util.Objects;

/**
 * A client's key for one request that starts a run (its {@code Idempotency-Key}) and the
 * fingerprint of that request (a hash of what it asked for): the same key with the same fingerprint
 * is the same request sent again.
 */
public record RequestKey(String key, String fingerprint) {
  public RequestKey {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(fingerprint, "fingerprint");
  }
}
