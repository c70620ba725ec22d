package io.nightshift.web.cli;

import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The values of repeated {@code -p NAME=VALUE} options as the API's {@code params}: a name given
 * twice, or an option without {@code =}, is an error naming it, never a value silently dropped.
 */
final class ParamValues {
  private ParamValues() {}

  static JsonObject of(List<String> options) {
    JsonObject values = new JsonObject();
    for (String option : options) {
      int eq = option.indexOf('=');
      if (eq <= 0) {
        throw new CliError("--param '" + option + "': write NAME=VALUE");
      }
      String name = option.substring(0, eq);
      String value = option.substring(eq + 1);
      if (values.containsKey(name)) {
        throw new CliError(
            "--param "
                + name
                + " is given twice ('"
                + values.getString(name)
                + "' and '"
                + value
                + "'): give it once");
      }
      values.put(name, value);
    }
    return values;
  }
}
