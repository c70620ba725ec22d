package io.nightshift.scheduler.logs;

import io.nightshift.executor.LogLine;
import io.nightshift.executor.LogLineDecoder;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns Redis stream replies into {@link StreamEntry}s, decoding their lines with {@link
 * LogLineDecoder}. An unreadable entry is logged and carries only the lines readable one by one: it
 * can never be stored, and acknowledging it keeps the group moving.
 */
final class StreamEntryDecoder {
  private static final Logger log = LoggerFactory.getLogger(StreamEntryDecoder.class);

  private StreamEntryDecoder() {}

  /** XREADGROUP answers a map keyed by stream (RESP3) or an array of [stream, entries] (RESP2). */
  static List<StreamEntry> entriesOfRead(Response reply, String stream) {
    if (reply == null) {
      return List.of();
    }
    if (reply.isMap()) {
      return entriesOf(reply.get(stream));
    }
    for (Response s : reply) {
      if (s.get(0).toString().equals(stream)) {
        return entriesOf(s.get(1));
      }
    }
    return List.of();
  }

  /** The entries of a list of [id, fields] pairs (as XREADGROUP and XAUTOCLAIM give them). */
  static List<StreamEntry> entriesOf(Response list) {
    if (list == null) {
      return List.of();
    }
    List<StreamEntry> entries = new ArrayList<>(list.size());
    for (Response entry : list) {
      String id = entry.get(0).toString();
      Response fields = entry.size() > 1 ? entry.get(1) : null;
      entries.add(new StreamEntry(id, linesOf(id, fields)));
    }
    return entries;
  }

  /** The lines of one entry; deleted entries (null fields) and unreadable ones carry none. */
  private static List<LogLine> linesOf(String id, Response fields) {
    if (fields == null) {
      return List.of();
    }
    List<LogLine> lines = new ArrayList<>();
    if (fields.isMap()) {
      for (String key : fields.getKeys()) {
        decode(id, key, fields.get(key), lines);
      }
    } else {
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        Response field = fields.get(i);
        decode(id, field == null ? null : field.toString(), fields.get(i + 1), lines);
      }
    }
    return lines;
  }

  private static void decode(String id, String field, Response value, List<LogLine> lines) {
    try {
      if ("lines".equals(field)) {
        lines.addAll(LogLineDecoder.lines(value.toString()));
      } else if ("line".equals(field)) {
        lines.add(LogLineDecoder.line(value.toString()));
      }
    } catch (RuntimeException e) {
      // It can never be stored; acknowledging it keeps the group moving.
      log.error("log stream entry {} is unreadable and is skipped: {}", id, e.toString());
      if ("lines".equals(field)) {
        readableOnes(value.toString(), lines);
      }
    }
  }

  /** The lines of a JSON array that are readable one by one (one bad line spoils no other). */
  private static void readableOnes(String array, List<LogLine> lines) {
    try {
      for (Object o : new JsonArray(array)) {
        try {
          lines.add(LogLineDecoder.line(Json.encode(o)));
        } catch (RuntimeException bad) {
          // skipped with its entry's error above
        }
      }
    } catch (RuntimeException notAnArray) {
      // nothing readable
    }
  }
}
