package io.nightshift.web.http;

import io.vertx.core.json.JsonObject;

/**
 * What a handler answers: a status, a JSON body (or none), an optional Location and other headers.
 */
public record Reply(
    int status, JsonObject body, String location, java.util.Map<String, String> headers) {
  public Reply {
    headers = java.util.Map.copyOf(headers);
  }

  public Reply(int status, JsonObject body, String location) {
    this(status, body, location, java.util.Map.of());
  }

  /** This reply with one more header. */
  public Reply withHeader(String name, String value) {
    java.util.Map<String, String> more = new java.util.LinkedHashMap<>(headers);
    more.put(name, value);
    return new Reply(status, body, location, more);
  }

  public static Reply ok(JsonObject body) {
    return new Reply(200, body, null);
  }

  public static Reply created(JsonObject body, String location) {
    return new Reply(201, body, location);
  }

  public static Reply accepted(JsonObject body) {
    return new Reply(202, body, null);
  }

  public static Reply noContent() {
    return new Reply(204, null, null);
  }
}
