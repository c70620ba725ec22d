package io.nightshift.executor;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The one time format of Nightshift's JSON: ISO-8601 UTC with milliseconds. */
public final class Instants {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Instants() {}

  public static String format(Instant instant) {
    return instant == null ? null : FORMAT.format(instant);
  }
}
