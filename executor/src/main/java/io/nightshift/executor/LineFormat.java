package io.nightshift.executor;

import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Masks secret values and cuts long lines. A secret is masked whole even where it crosses the cut;
 * a secret's beginning at the very end of a line's kept chars is never shown.
 */
final class LineFormat {
  static final String MASK = "******";

  private final int maxLength;
  private final List<String> secrets; // longest first, so the longest match wins
  private final int longestSecret;

  LineFormat(int maxLength, Set<String> secrets) {
    this.maxLength = maxLength;
    Set<String> values = new LinkedHashSet<>();
    for (String secret : SecretForms.of(secrets)) {
      if (secret == null || secret.isEmpty()) {
        continue;
      }
      // Output is masked line by line, so a multi-line secret is masked by its lines.
      for (String part : secret.split("[\r\n]+")) {
        if (!part.isBlank()) {
          values.add(part);
        }
      }
    }
    this.secrets =
        values.stream().sorted(Comparator.comparingInt(String::length).reversed()).toList();
    this.longestSecret = this.secrets.isEmpty() ? 0 : this.secrets.get(0).length();
  }

  /** How many chars of a line to keep so that a secret crossing the cut can still be masked. */
  int keep() {
    long keep = (long) maxLength + longestSecret;
    return (int) Math.min(Integer.MAX_VALUE - 16, keep);
  }

  /** The text to show for a line of which {@code raw} was kept and {@code overflow} chars not. */
  String render(String raw, long overflow) {
    if (secrets.isEmpty() && overflow == 0 && raw.length() <= maxLength) {
      return raw;
    }
    boolean truncated = overflow > 0;
    StringBuilder out = new StringBuilder(Math.min(raw.length(), maxLength) + 32);
    int n = raw.length();
    int i = 0;
    while (i < n && out.length() < maxLength) {
      String secret = secretAt(raw, i);
      if (secret != null) {
        out.append(MASK);
        i += secret.length();
      } else if (truncated && partialSecretAt(raw, i)) {
        break;
      } else {
        out.append(raw.charAt(i));
        i++;
      }
    }
    long more = (n - i) + overflow;
    if (more > 0 && out.length() > 0 && Character.isHighSurrogate(out.charAt(out.length() - 1))) {
      out.setLength(out.length() - 1);
      more++;
    }
    if (more > 0) {
      out.append(" [cut: ").append(more).append(" more chars]");
    }
    return out.toString();
  }

  /** {@code text} with every secret (in every form) replaced by {@link #MASK}, nothing cut. */
  String mask(String text) {
    if (text == null || secrets.isEmpty()) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int i = 0;
    while (i < text.length()) {
      String secret = secretAt(text, i);
      if (secret != null) {
        out.append(MASK);
        i += secret.length();
      } else {
        out.append(text.charAt(i));
        i++;
      }
    }
    return out.toString();
  }

  private String secretAt(String raw, int i) {
    for (String secret : secrets) {
      if (raw.startsWith(secret, i)) {
        return secret;
      }
    }
    return null;
  }

  private boolean partialSecretAt(String raw, int i) {
    int rest = raw.length() - i;
    for (String secret : secrets) {
      if (rest < secret.length() && secret.regionMatches(0, raw, i, rest)) {
        return true;
      }
    }
    return false;
  }
}
