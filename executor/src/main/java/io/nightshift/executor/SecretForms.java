package io.nightshift.executor;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The forms in which a secret commonly shows up in output besides itself: base64 (standard and
 * URL-safe, with and without padding) and URL-encoded (form and percent style). Masking looks for
 * all of them. Other encodings (hex, a hash, a secret split across lines or written character by
 * character) cannot be recognised and are not masked.
 */
final class SecretForms {
  private SecretForms() {}

  static Set<String> of(Set<String> secrets) {
    Set<String> all = new LinkedHashSet<>();
    for (String secret : secrets) {
      if (secret == null || secret.isEmpty()) {
        continue;
      }
      all.add(secret);
      byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
      String base64 = Base64.getEncoder().encodeToString(bytes);
      all.add(base64);
      all.add(base64.replaceAll("=+$", ""));
      String urlSafe = Base64.getUrlEncoder().encodeToString(bytes);
      all.add(urlSafe);
      all.add(urlSafe.replaceAll("=+$", ""));
      String form = URLEncoder.encode(secret, StandardCharsets.UTF_8);
      all.add(form);
      all.add(form.replace("+", "%20"));
    }
    return all;
  }
}
