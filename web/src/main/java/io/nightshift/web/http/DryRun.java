package io.nightshift.web.http;

import io.vertx.core.json.JsonObject;

/**
 * The answer of a PUT with {@code ?dryRun=true}: the body passed every check the PUT makes (the
 * same parse, the same checks against the stored state, a 400 naming each problem otherwise), and
 * nothing was stored. {@code action} says what the PUT would do.
 */
final class DryRun {
  private DryRun() {}

  static JsonObject answer(String name, boolean exists) {
    return new JsonObject()
        .put("dryRun", true)
        .put("name", name)
        .put("action", exists ? "update" : "create");
  }
}
