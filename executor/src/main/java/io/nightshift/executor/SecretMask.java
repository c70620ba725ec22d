package io.nightshift.executor;

import java.util.Set;

/**
 * Masks secrets in a text that leaves a step by another way than its output (an error message, a
 * log line of the service): every form {@link LineFormat} masks in output (the value, its base64
 * and URL-encoded forms, each line of a multi-line secret) becomes {@code ******}.
 */
public final class SecretMask {
  private final LineFormat format;

  private SecretMask(Set<String> secrets) {
    this.format = new LineFormat(0, secrets);
  }

  public static SecretMask of(Set<String> secrets) {
    return new SecretMask(secrets);
  }

  /** {@code text} with every secret masked; null stays null. */
  public String mask(String text) {
    return format.mask(text);
  }
}
