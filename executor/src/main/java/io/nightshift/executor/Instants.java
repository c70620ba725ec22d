package io.nightshift.executor;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The one time format of Nightshift's JSON: ISO-8601 UTC with milliseconds ({@code
 * 2026-11-22T03:30:01.123Z}). Every log line is formatted once and parsed once on its way to the
 * store, so both directions are written out by hand for the common case (years 1000-9999) and fall
 * back to {@code java.time} otherwise.
 */
public final class Instants {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Instants() {}

  public static String format(Instant instant) {
    if (instant == null) {
      return null;
    }
    LocalDateTime t = LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
    if (t.getYear() < 1000 || t.getYear() > 9999) {
      return FORMAT.format(instant);
    }
    char[] out = new char[24];
    digits(out, 0, t.getYear(), 4);
    out[4] = '-';
    digits(out, 5, t.getMonthValue(), 2);
    out[7] = '-';
    digits(out, 8, t.getDayOfMonth(), 2);
    out[10] = 'T';
    digits(out, 11, t.getHour(), 2);
    out[13] = ':';
    digits(out, 14, t.getMinute(), 2);
    out[16] = ':';
    digits(out, 17, t.getSecond(), 2);
    out[19] = '.';
    digits(out, 20, t.getNano() / 1_000_000, 3);
    out[23] = 'Z';
    return new String(out);
  }

  /** Reads what {@link #format} writes (and any other ISO-8601 instant, more slowly). */
  public static Instant parse(String text) {
    if (text.length() == 24
        && text.charAt(4) == '-'
        && text.charAt(10) == 'T'
        && text.charAt(19) == '.'
        && text.charAt(23) == 'Z') {
      try {
        return LocalDateTime.of(
                number(text, 0, 4),
                number(text, 5, 2),
                number(text, 8, 2),
                number(text, 11, 2),
                number(text, 14, 2),
                number(text, 17, 2),
                number(text, 20, 3) * 1_000_000)
            .toInstant(ZoneOffset.UTC);
      } catch (RuntimeException e) {
        // not the plain form after all: let java.time say what is wrong
      }
    }
    return Instant.parse(text);
  }

  private static void digits(char[] out, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      out[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }

  private static int number(String text, int at, int width) {
    int n = 0;
    for (int i = at; i < at + width; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        throw new NumberFormatException("not a digit at " + i + " in " + text);
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }
}
