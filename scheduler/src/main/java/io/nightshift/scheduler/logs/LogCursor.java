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
record LogCursor(Instant ts, long stepRunId, long seq) {
  private static final String VERSION = "l1";

  static String of(LogLine line) {
    return new LogCursor(line.ts(), line.stepRunId(), line.seq()).encode();
  }

  String encode() {
    String raw = VERSION + ":" + ts.toEpochMilli() + ":" + stepRunId + ":" + seq;
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.US_ASCII));
  }

  static LogCursor decode(String cursor) {
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
      throw Invalid.of("after", "is not a cursor returned by this API: '" + cursor + "'");
    }
  }
}
