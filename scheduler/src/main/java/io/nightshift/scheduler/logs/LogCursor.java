package io.nightshift.scheduler.logs;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.error.Invalid;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * Where a page of log lines ended: {@code (ts, stepRunId, seq)}, encoded as an opaque URL-safe
 * string so clients pass it back without reading it.
 */
public record LogCursor(Instant ts, long stepRunId, long seq) {
  private static final String VERSION = "l1";

  public static String of(LogLine line) {
    return new LogCursor(line.ts(), line.stepRunId(), line.seq()).encode();
  }

  public String encode() {
    String raw = VERSION + ":" + ts.toEpochMilli() + ":" + stepRunId + ":" + seq;
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.US_ASCII));
  }

  /** True when {@code line} comes after this cursor in the store's order. */
  public boolean precedes(LogLine line) {
    int byTime = line.ts().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).compareTo(ts);
    if (byTime != 0) {
      return byTime > 0;
    }
    if (line.stepRunId() != stepRunId) {
      return line.stepRunId() > stepRunId;
    }
    return line.seq() > seq;
  }

  public static LogCursor decode(String cursor) {
    return decode(cursor, "after");
  }

  /** A cursor passed in the query parameter {@code field}; an {@code Invalid} naming it if bad. */
  public static LogCursor decode(String cursor, String field) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
      String[] parts = raw.split(":");
      if (parts.length != 4 || !parts[0].equals(VERSION)) {
        throw new IllegalArgumentException(raw);
      }
      return new LogCursor(
          Instant.ofEpochMilli(Long.parseLong(parts[1])),
          Long.parseLong(parts[2]),
          Long.parseLong(parts[3]));
    } catch (IllegalArgumentException e) {
      throw Invalid.of(field, "is not a cursor returned by this API: '" + cursor + "'");
    }
  }
}
