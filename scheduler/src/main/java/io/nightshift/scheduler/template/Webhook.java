package io.nightshift.scheduler.template;

import java.util.List;
import java.util.Set;

/**
 * A webhook declared on a template or job: where to POST, which events ({@code run.*}, {@code
 * approval.*}, exact names, or all when empty), and an optional HMAC-SHA256 secret.
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
          "approval.expired");

  public Webhook {
    events = List.copyOf(events);
  }

  public boolean wants(String event) {
    if (events.isEmpty()) {
      return true;
    }
    for (String e : events) {
      if (e.equals("*")
          || e.equals(event)
          || (e.endsWith(".*") && event.startsWith(e.substring(0, e.length() - 1)))) {
        return true;
      }
    }
    return false;
  }

  /** An event name or pattern the API accepts. */
  public static boolean known(String event) {
    return event.equals("*")
        || event.equals("run.*")
        || event.equals("approval.*")
        || EVENTS.contains(event);
  }
}
