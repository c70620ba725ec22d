package io.nightshift.scheduler.run;

import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.secrets.SecretCipher;
import io.nightshift.scheduler.template.BoundedPattern;
import io.nightshift.scheduler.template.JsonReader;
import io.nightshift.scheduler.template.ParamSpec;
import io.nightshift.scheduler.template.Template;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Parameter values: merged by priority (template defaults, then job values, then run values),
 * checked against the declarations before anything runs, and masked for display.
 */
public final class Params {
  public static final String MASK = "******";

  /**
   * A value's size in UTF-8: values reach a step as environment variables, and the kernel refuses
   * to start a program with one string over 128 KiB ("Argument list too long").
   */
  static final int MAX_VALUE_BYTES = 64 * 1024;

  /** All of a run's values together (the environment as a whole is bounded too). */
  static final int MAX_TOTAL_BYTES = 1024 * 1024;

  private Params() {}

  /**
   * Reads a JSON object of values (strings, numbers or booleans) into strings; {@code field} is the
   * JSON field name used in messages (e.g. {@code params}).
   */
  public static Map<String, String> read(JsonObject json, String field) {
    Map<String, String> out = new LinkedHashMap<>();
    if (json == null) {
      return out;
    }
    List<Invalid.Problem> problems = new ArrayList<>();
    for (String name : json.fieldNames()) {
      Object value = json.getValue(name);
      if (value instanceof String || value instanceof Number || value instanceof Boolean) {
        out.put(name, String.valueOf(value));
      } else {
        problems.add(
            new Invalid.Problem(field + "." + name, "must be a string, number or boolean"));
      }
    }
    if (!problems.isEmpty()) {
      throw new Invalid(problems);
    }
    return out;
  }

  /** The values a run starts with; every problem is a 400 naming {@code params.NAME}. */
  public static Map<String, String> resolve(
      Template template, Map<String, String> jobValues, Map<String, String> runValues) {
    List<Invalid.Problem> problems = new ArrayList<>();
    Set<String> declared =
        template.params().stream().map(ParamSpec::name).collect(Collectors.toSet());
    checkDeclared(template, declared, jobValues, problems);
    checkDeclared(template, declared, runValues, problems);
    Map<String, String> values = new LinkedHashMap<>();
    for (ParamSpec p : template.params()) {
      String value =
          runValues.getOrDefault(p.name(), jobValues.getOrDefault(p.name(), p.defaultValue()));
      if (value == null) {
        if (p.required()) {
          problems.add(
              new Invalid.Problem(
                  "params." + p.name(), "is required by template '" + template.name() + "'"));
        }
        continue;
      }
      check(p, value, problems);
      values.put(p.name(), value);
    }
    long total =
        values.entrySet().stream().mapToLong(e -> utf8(e.getKey()) + utf8(e.getValue()) + 2).sum();
    if (total > MAX_TOTAL_BYTES) {
      problems.add(
          new Invalid.Problem(
              "params",
              "the values together are "
                  + total
                  + " bytes in UTF-8, at most "
                  + MAX_TOTAL_BYTES
                  + " (a step gets them as its environment)"));
    }
    if (!problems.isEmpty()) {
      throw new Invalid(problems);
    }
    return values;
  }

  /**
   * Reads a request's {@code params} and resolves them as above, adding every problem to {@code in}
   * (with the request's other problems) instead of throwing; null when there was one.
   */
  public static Map<String, String> resolve(
      JsonReader in, Template template, Map<String, String> jobValues, JsonObject runValues) {
    Map<String, String> given = in.collect(() -> read(runValues, "params"));
    return given == null ? null : in.collect(() -> resolve(template, jobValues, given));
  }

  private static void checkDeclared(
      Template template,
      Set<String> declared,
      Map<String, String> given,
      List<Invalid.Problem> out) {
    for (String name : given.keySet()) {
      if (!declared.contains(name)) {
        out.add(
            new Invalid.Problem(
                "params." + name,
                "is not declared by template '"
                    + template.name()
                    + "'"
                    + (declared.isEmpty()
                        ? " (it has no parameters)"
                        : "; declared: " + declared)));
      }
    }
  }

  private static void check(ParamSpec p, String value, List<Invalid.Problem> out) {
    String field = "params." + p.name();
    String shown = p.secret() ? MASK : "'" + value + "'";
    if (value.indexOf('\0') >= 0) {
      out.add(new Invalid.Problem(field, "must not contain a NUL character"));
    } else if (SecretCipher.sealed(value)) {
      // The store keeps such a text as it is and opens it at every read: it would fail there.
      out.add(
          new Invalid.Problem(
              field,
              "must not start with '"
                  + SecretCipher.PREFIX
                  + "' (the form of an encrypted value in the store)"));
    } else if (utf8(value) > MAX_VALUE_BYTES) {
      out.add(
          new Invalid.Problem(
              field,
              "must be at most "
                  + MAX_VALUE_BYTES
                  + " bytes in UTF-8, got "
                  + utf8(value)
                  + " (a step gets it as an environment variable)"));
    } else if (p.secret() && !value.isEmpty() && value.length() < ParamSpec.MIN_SECRET_LENGTH) {
      // Masking a one-letter secret shows where the letter was everywhere else: an oracle.
      out.add(
          new Invalid.Problem(
              field,
              "a secret value must be at least " + ParamSpec.MIN_SECRET_LENGTH + " characters"));
    } else if (!p.allowed().isEmpty() && !p.allowed().contains(value)) {
      out.add(new Invalid.Problem(field, shown + " is not one of " + p.allowed()));
    } else if (p.pattern() != null) {
      switch (pattern(p).matches(value)) {
        case NO_MATCH ->
            out.add(
                new Invalid.Problem(field, shown + " does not match the pattern " + p.pattern()));
        case TOO_COSTLY -> out.add(new Invalid.Problem(field, BoundedPattern.tooCostly(shown)));
        default -> {}
      }
    }
  }

  /** The declared pattern; one stored before patterns were capped is matched as it is. */
  private static BoundedPattern pattern(ParamSpec p) {
    try {
      return BoundedPattern.compile(p.pattern());
    } catch (IllegalArgumentException e) {
      return BoundedPattern.compileStored(p.pattern());
    }
  }

  /** The values with every secret replaced by {@link #MASK}. */
  public static Map<String, String> masked(Template template, Map<String, String> values) {
    Map<String, String> out = new LinkedHashMap<>();
    values.forEach(
        (name, value) ->
            out.put(
                name, template.param(name).map(ParamSpec::secret).orElse(false) ? MASK : value));
    return out;
  }

  /** The secret values, for masking output. Empty values are left out (nothing to mask). */
  public static Set<String> secrets(Template template, Map<String, String> values) {
    return values.entrySet().stream()
        .filter(e -> template.param(e.getKey()).map(ParamSpec::secret).orElse(false))
        .map(Map.Entry::getValue)
        .filter(v -> !v.isEmpty())
        .collect(Collectors.toSet());
  }

  /** The length of {@code text} in UTF-8. */
  static long utf8(String text) {
    return text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }
}
