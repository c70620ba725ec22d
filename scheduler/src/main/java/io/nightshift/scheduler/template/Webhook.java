package io.nightshift.scheduler.template;

import java.util.List;
import java.util.Set;

/**
 * A webhook declared on a template or job: where to POST, which events ({@code run.*}, {@code
 * approval.*}, a job's {@code job.*}, exact names, or all when empty), and an optional HMAC-SHA256
 * secret.
 */
public record Webhook(String url, List<String> events, String secret) {
  public static final Set<String> EVENTS =
      Set.of(
          "run.running",
          "run.succeeded",
          "run.failed",
          "run.canceled",
          "run.timed_out",
          "run.rolling_back",
          "run.rolled_back",
          "run.rollback_failed",
          "approval.requested",
          "approval.decided",
          "approval.expired",
          "job.fire_failed",
          "job.fire_skipped",
          "job.fire_missed");

  public Webhook {
    events = List.copyOf(events);
  }

  /**
   * Routine for a {@code forbid} job whose runs outlast its interval (a fire every few seconds
   * skipped): sent only to a webhook that names it or {@code job.*}, not to one that wants all.
   */
  public static final String ROUTINE = "job.fire_skipped";

  public boolean wants(String event) {
    if (events.isEmpty()) {
      return !event.equals(ROUTINE);
    }
    for (String e : events) {
      if ((e.equals("*") && !event.equals(ROUTINE))
          || e.equals(event)
          || (e.endsWith(".*") && event.startsWith(e.substring(0, e.length() - 1)))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Why {@code url} cannot be sent to (a sentence naming the part), or null when it can: an
   * absolute http(s) URL with a host, a port in 1..65535 when given, and no characters a URL may
   * not hold (a space, ...).
   */
  public static String urlProblem(String url) {
    java.net.URI uri;
    try {
      uri = new java.net.URI(url);
    } catch (java.net.URISyntaxException e) {
      return "not a valid URL: "
          + e.getReason()
          + " at index "
          + e.getIndex()
          + " in '"
          + url
          + "'";
    }
    if (!"http".equalsIgnoreCase(uri.getScheme()) && !"https".equalsIgnoreCase(uri.getScheme())) {
      return "must start with http:// or https://, got '" + url + "'";
    }
    if (uri.getHost() == null) {
      return "has no valid host name: '" + url + "'";
    }
    if (uri.getPort() == 0 || uri.getPort() > 65535) {
      return "port must be between 1 and 65535, got " + uri.getPort();
    }
    return null;
  }

  /** An event name or pattern the API accepts. */
  public static boolean known(String event) {
    return event.equals("*")
        || event.equals("run.*")
        || event.equals("approval.*")
        || event.equals("job.*")
        || EVENTS.contains(event);
  }

  /** True for a job's own event or pattern ({@code job.*}): only a job's webhooks get those. */
  public static boolean ofJob(String event) {
    return event.startsWith("job.");
  }
}
