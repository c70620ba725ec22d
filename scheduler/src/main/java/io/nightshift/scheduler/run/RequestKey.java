package io.nightshift.scheduler.run;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
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

  /**
   * What is stored of the key: its SHA-256, so that keys differing only in case stay apart on any
   * database collation, and the stored column has one width whatever the key's length.
   */
  public String hash() {
    return sha256(key);
  }

  /** The SHA-256 of {@code text} (UTF-8) in lowercase hex. */
  public static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
