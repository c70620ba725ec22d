package io.nightshift.web;

import io.vertx.core.json.JsonObject;

/** Template steps as the API takes them, for tests. */
public final class TestSteps {
  private TestSteps() {}

  /** A {@code command} step. */
  public static JsonObject command(String name, String command) {
    return new JsonObject().put("name", name).put("kind", "command").put("command", command);
  }
}
