package io.nightshift.scheduler.template;

import java.util.ArrayList;
import java.util.List;

/**
 * Tokens a webhook URL may carry, and the URL as a viewer sees it. Receivers often take their
 * credential in the URL: the password of its user info ({@code https://user:TOKEN@host/}) or a
 * query value ({@code ?token=TOKEN}). Answers and audit records show every such value as {@code
 * ******} ({@code https://user:******@host/?token=******}); the stored URL keeps them. Written
 * back, the shown form of a stored webhook's URL stands for that URL ({@link UnchangedSecrets}).
 */
public final class WebhookUrls {
  private WebhookUrls() {}

  /** The URL with its user-info password and query values masked. */
  public static String shown(String url) {
    Parts p = Parts.of(url);
    if (p == null) {
      return url;
    }
    StringBuilder out = new StringBuilder(url.length());
    out.append(url, 0, p.authorityStart());
    if (p.password() != null) {
      out.append(url, p.authorityStart(), p.passwordStart())
          .append(UnchangedSecrets.MASK)
          .append(url, p.passwordEnd(), p.queryStart() < 0 ? p.end() : p.queryStart());
    } else {
      out.append(url, p.authorityStart(), p.queryStart() < 0 ? p.end() : p.queryStart());
    }
    if (p.queryStart() >= 0) {
      String query = url.substring(p.queryStart() + 1, p.end());
      out.append('?');
      String[] items = query.split("&", -1);
      for (int i = 0; i < items.length; i++) {
        if (i > 0) {
          out.append('&');
        }
        out.append(maskedItem(items[i]));
      }
    }
    out.append(url, p.end(), url.length());
    return out.toString();
  }

  /** The values {@link #shown} hides: the user-info password and every query value. */
  public static List<String> secrets(String url) {
    List<String> out = new ArrayList<>();
    Parts p = Parts.of(url);
    if (p == null) {
      return out;
    }
    if (p.password() != null && !p.password().isEmpty()) {
      out.add(p.password());
    }
    if (p.queryStart() >= 0) {
      for (String item : url.substring(p.queryStart() + 1, p.end()).split("&")) {
        int eq = item.indexOf('=');
        String value = eq < 0 ? item : item.substring(eq + 1);
        if (!value.isEmpty() && !value.equals(UnchangedSecrets.MASK)) {
          out.add(value);
        }
      }
    }
    return out;
  }

  /**
   * Values shorter than this are masked where the URL is shown, but not wherever else they occur in
   * a text: {@code ?status=500} or {@code ?room=ops} is no credential, and masking it blanked
   * "answered 500" in a delivery's error.
   */
  static final int LOOSE_MASK_LENGTH = 8;

  /**
   * {@code text} (an error naming the URL, say) with the URL shown masked, and then its secrets
   * long enough to be credentials masked wherever else they occur, longest first.
   */
  public static String maskIn(String text, String url) {
    if (text == null) {
      return null;
    }
    String out = text.replace(url, shown(url));
    List<String> secrets = secrets(url);
    secrets.sort((a, b) -> b.length() - a.length());
    for (String secret : secrets) {
      if (secret.length() >= LOOSE_MASK_LENGTH) {
        out = out.replace(secret, UnchangedSecrets.MASK);
      }
    }
    return out;
  }

  /** True when the URL carries the mask where a secret was (a shown URL written back). */
  public static boolean isShownForm(String url) {
    return url.contains(UnchangedSecrets.MASK);
  }

  private static String maskedItem(String item) {
    int eq = item.indexOf('=');
    if (eq < 0) {
      return item.isEmpty() ? item : UnchangedSecrets.MASK;
    }
    return eq == item.length() - 1 ? item : item.substring(0, eq + 1) + UnchangedSecrets.MASK;
  }

  /**
   * Where the parts of {@code scheme://[user[:password]@]host[:port][/path][?query][#fragment]}
   * are: indexes into the URL ({@code queryStart} is the {@code ?}, -1 without a query; {@code end}
   * is where the query ends, at the fragment or the end).
   */
  private record Parts(
      int authorityStart,
      int passwordStart,
      int passwordEnd,
      String password,
      int queryStart,
      int end) {
    static Parts of(String url) {
      int scheme = url.indexOf("://");
      if (scheme < 0) {
        return null;
      }
      int authorityStart = scheme + 3;
      int fragment = url.indexOf('#', authorityStart);
      int end = fragment < 0 ? url.length() : fragment;
      int query = url.indexOf('?', authorityStart);
      if (query >= end) {
        query = -1;
      }
      int authorityEnd = end;
      for (int i = authorityStart; i < end; i++) {
        char c = url.charAt(i);
        if (c == '/' || c == '?') {
          authorityEnd = i;
          break;
        }
      }
      int at = url.lastIndexOf('@', authorityEnd - 1);
      int passwordStart = -1;
      int passwordEnd = -1;
      String password = null;
      if (at >= authorityStart) {
        int colon = url.indexOf(':', authorityStart);
        if (colon >= 0 && colon < at) {
          passwordStart = colon + 1;
          passwordEnd = at;
          password = url.substring(passwordStart, passwordEnd);
        }
      }
      return new Parts(authorityStart, passwordStart, passwordEnd, password, query, end);
    }
  }
}
