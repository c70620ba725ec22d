package io.nightshift.web.http;

import io.vertx.core.json.JsonObject;

/** What a handler answers: a status, a JSON body (or none) and an optional Location. */
public record Reply(int status, JsonObject body, String location) {
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
