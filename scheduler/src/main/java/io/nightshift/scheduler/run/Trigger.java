package io.nightshift.scheduler.run;

import java.util.Locale;

/** What started a run. */
public enum Trigger {
  API,
  CRON,
  INTERVAL,
  ONCE,
  MANUAL,
  RETRY;

  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Trigger fromJson(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }
}
