package io.nightshift.web.http;

import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.run.RequestKey;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.TreeMap;

/**
 * A request's {@code Idempotency-Key} header and the fingerprint of the request it names: its
 * method, path and body (object keys in order, so a resend that reorders them is the same request).
 */
final class RequestKeys {
  static final String HEADER = "Idempotency-Key";
  static final String REPLAYED = "Idempotent-Replayed";
  static final int MAX_LENGTH = 255;

  private RequestKeys() {}

  /** The request's key with its fingerprint; null without the header; 400 for a malformed one. */
  static RequestKey of(Call call, JsonObject body) {
    String key = call.header(HEADER);
    if (key == null) {
      return null;
    }
    int copies = call.headerCount(HEADER);
    if (copies > 1) {
      throw Invalid.of(HEADER, "give one key, got " + copies + " Idempotency-Key headers");
    }
    int bad = firstInvisible(key);
    if (key.isEmpty() || key.length() > MAX_LENGTH || bad >= 0) {
      throw Invalid.of(
          HEADER,
          "must be 1 to "
              + MAX_LENGTH
              + " visible ASCII characters (a UUID is a good key), got "
              + (key.isEmpty()
                  ? "an empty value"
                  : bad >= 0
                      ? "a space, control or non-ASCII character at position " + (bad + 1)
                      : key.length() + " characters"));
    }
    return new RequestKey(key, RequestKey.sha256(call.target() + "\n" + canonical(body)));
  }

  /** The index of the first character that is not visible ASCII, or -1. */
  private static int firstInvisible(String key) {
    for (int i = 0; i < key.length(); i++) {
      if (key.charAt(i) <= 0x20 || key.charAt(i) >= 0x7f) {
        return i;
      }
    }
    return -1;
  }

  /** The reply to a request that started a run, saying whether an earlier copy of it did. */
  static Reply started(Reply reply, boolean replayed) {
    return replayed ? reply.withHeader(REPLAYED, "true") : reply;
  }

  /**
   * {@code body} as JSON with every object's keys sorted, less the top-level members left at their
   * default (null, false, an empty object or list): {@code {}} and {@code {"params": {}}} are one
   * request.
   */
  private static String canonical(JsonObject body) {
    JsonObject given = new JsonObject();
    body.forEach(
        member -> {
          Object v = member.getValue();
          boolean unset =
              v == null
                  || Boolean.FALSE.equals(v)
                  || (v instanceof JsonObject o && o.isEmpty())
                  || (v instanceof java.util.Map<?, ?> m && m.isEmpty())
                  || (v instanceof JsonArray a && a.isEmpty())
                  || (v instanceof java.util.List<?> l && l.isEmpty());
          if (!unset) {
            given.put(member.getKey(), v);
          }
        });
    return ((JsonObject) sorted(given)).encode();
  }

  private static Object sorted(Object value) {
    if (value instanceof JsonObject object) {
      return sorted(object.getMap());
    }
    if (value instanceof java.util.Map<?, ?> map) {
      JsonObject copy = new JsonObject(new java.util.LinkedHashMap<>());
      new TreeMap<Object, Object>(map).forEach((k, v) -> copy.put(String.valueOf(k), sorted(v)));
      return copy;
    }
    if (value instanceof JsonArray array) {
      return sorted(array.getList());
    }
    if (value instanceof java.util.List<?> list) {
      JsonArray copy = new JsonArray();
      list.forEach(v -> copy.add(sorted(v)));
      return copy;
    }
    return value;
  }
}
