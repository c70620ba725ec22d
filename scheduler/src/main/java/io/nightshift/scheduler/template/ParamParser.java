package io.nightshift.scheduler.template;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The {@code params} of a template: names, defaults, enums and patterns, every problem named. */
final class ParamParser {
  /** Most parameters a template may declare. */
  static final int MAX_PARAMS = 200;

  private static final Set<String> FIELDS =
      Set.of("name", "description", "required", "secret", "default", "enum", "pattern");

  private ParamParser() {}

  static List<ParamSpec> params(JsonReader in, JsonArray array) {
    List<ParamSpec> params = new ArrayList<>();
    if (array == null) {
      return params;
    }
    if (array.size() > MAX_PARAMS) {
      in.problem(
          "params", "must declare at most " + MAX_PARAMS + " parameters, got " + array.size());
      return params;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < array.size(); i++) {
      String at = "params[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject p)) {
        in.problem(at, "must be an object");
        continue;
      }
      params.add(param(in, p, at, seen));
    }
    return params;
  }

  private static ParamSpec param(JsonReader in, JsonObject p, String at, Set<String> seen) {
    in.rejectUnknown(p, FIELDS, at);
    String name = in.string(p, "name", at, true);
    if (name != null) {
      if (!Names.PARAM.matcher(name).matches()) {
        in.problem(
            at + ".name",
            "must be a shell variable name ([A-Za-z_][A-Za-z0-9_]*, at most 64), got '"
                + name
                + "'");
      } else if (name.toUpperCase(java.util.Locale.ROOT).startsWith(Names.SYSTEM_PREFIX)) {
        in.problem(at + ".name", "'" + name + "' is reserved for system variables");
      } else if (!seen.add(name)) {
        in.problem(at + ".name", "duplicate parameter '" + name + "'");
      }
    }
    String description = in.string(p, "description", at, false);
    boolean required = in.bool(p, "required", at);
    boolean secret = in.bool(p, "secret", at);
    String defaultValue = in.string(p, "default", at, false);
    List<String> allowed = in.strings(p, "enum", at);
    // An empty list, not one whose items were refused (each named in its own problem).
    if (allowed != null
        && allowed.isEmpty()
        && p.getValue("enum") instanceof JsonArray given
        && given.isEmpty()) {
      in.problem(at + ".enum", "must list at least one value");
    }
    String pattern = in.string(p, "pattern", at, false);
    BoundedPattern compiled = null;
    if (pattern != null) {
      try {
        compiled = BoundedPattern.compile(pattern);
      } catch (IllegalArgumentException e) {
        in.problem(at + ".pattern", e.getMessage());
      }
    }
    // A secret default written back masked stands for the stored one (UnchangedSecrets), which
    // was checked when it was stored; a secret default is never repeated in a message.
    if (defaultValue != null && !(secret && UnchangedSecrets.MASK.equals(defaultValue))) {
      String shown = secret ? UnchangedSecrets.MASK : "'" + defaultValue + "'";
      if (allowed != null && !allowed.isEmpty() && !allowed.contains(defaultValue)) {
        in.problem(at + ".default", shown + " is not one of the enum " + allowed);
      }
      BoundedPattern.Result result =
          compiled == null ? BoundedPattern.Result.MATCH : compiled.matches(defaultValue);
      if (result == BoundedPattern.Result.NO_MATCH) {
        in.problem(at + ".default", shown + " does not match the pattern");
      } else if (result == BoundedPattern.Result.TOO_COSTLY) {
        in.problem(at + ".default", BoundedPattern.tooCostly(shown));
      }
    }
    return new ParamSpec(name, description, required, secret, defaultValue, allowed, pattern);
  }
}
