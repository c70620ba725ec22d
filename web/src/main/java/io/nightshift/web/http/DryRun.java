package io.nightshift.web.http;

import io.nightshift.scheduler.error.Invalid;
import io.vertx.core.json.JsonObject;

/**
 * A PUT of a template or job whose body says {@code "dryRun": true}: the rest of the body gets
 * every check the PUT makes (the same parse, the same checks against the stored state, a 400 naming
 * each problem), and nothing is stored. In the body, not the query: a node of an earlier version
 * refuses the unknown field instead of ignoring a query parameter and storing the change.
 */
final class DryRun {
  private DryRun() {}

  /** Takes {@code dryRun} out of the body: true, false (also when absent), else 400. */
  static boolean take(JsonObject body) {
    Object value = body.remove("dryRun");
    if (value == null || value instanceof Boolean) {
      return Boolean.TRUE.equals(value);
    }
    throw Invalid.of("dryRun", "must be true or false, got " + value);
  }

  /** The answer: what the PUT would do ({@code action}). */
  static JsonObject answer(String name, boolean exists) {
    return new JsonObject()
        .put("dryRun", true)
        .put("name", name)
        .put("action", exists ? "update" : "create");
  }
}
