package io.nightshift.web.http;

import io.nightshift.scheduler.auth.Principal;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.template.Names;
import io.nightshift.web.yaml.YamlJson;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** The parts of a request a handler reads, with the checks every handler would repeat. */
public final class Call {
  static final String PRINCIPAL = "nightshift.principal";

  private final RoutingContext ctx;

  Call(RoutingContext ctx) {
    this.ctx = ctx;
  }

  public Principal principal() {
    return ctx.get(PRINCIPAL);
  }

  /** A request header's value (null when absent). */
  public String header(String name) {
    return ctx.request().getHeader(name);
  }

  /** How many times the request carries header {@code name}. */
  public int headerCount(String name) {
    return ctx.request().headers().getAll(name).size();
  }

  /** The request's method and path, as {@code POST /api/v1/runs}. */
  public String target() {
    return ctx.request().method().name() + " " + ctx.request().path();
  }

  /** The body as a JSON object, or 400 saying why not. */
  public JsonObject body() {
    var body = ctx.body();
    if (body == null || body.buffer() == null || body.buffer().length() == 0) {
      throw Invalid.of("body", "a JSON object is required");
    }
    if (isYaml(ctx.request().getHeader("Content-Type"))) {
      try {
        return YamlJson.read(body.asString());
      } catch (YamlJson.DuplicateKey e) {
        throw Invalid.of(e.path(), "appears twice in the same mapping; each key may appear once");
      } catch (YamlJson.NotYaml e) {
        throw Invalid.of("body", "is not valid YAML: " + e.getMessage());
      }
    }
    Object value;
    try {
      value = StrictJson.read(body.buffer().getBytes());
    } catch (StrictJson.NotJson e) {
      throw Invalid.of("body", "is not valid JSON: " + firstLine(e.getMessage()));
    }
    if (!(value instanceof JsonObject json)) {
      throw Invalid.of("body", "must be a JSON object");
    }
    return json;
  }

  /** Templates and jobs may come as YAML: the same checks and field paths as JSON. */
  private static boolean isYaml(String contentType) {
    if (contentType == null) {
      return false;
    }
    String type = contentType.toLowerCase(java.util.Locale.ROOT).trim();
    return type.startsWith("application/yaml")
        || type.startsWith("application/x-yaml")
        || type.startsWith("text/yaml");
  }

  /** An optional body: an empty one reads as an empty object. */
  public JsonObject bodyOrEmpty() {
    var body = ctx.body();
    return body == null || body.buffer() == null || body.buffer().length() == 0
        ? new JsonObject()
        : body();
  }

  /** A path parameter that must be a resource name (templates, jobs, tokens). */
  public String name(String param) {
    String value = ctx.pathParam(param);
    if (!Names.isResourceName(value)) {
      throw Invalid.of(param, Names.resourceRule() + ", got '" + value + "'");
    }
    return value;
  }

  public String pathParam(String param) {
    return ctx.pathParam(param);
  }

  /**
   * A parameter that takes one value (null when absent or empty); given twice it is a 400 naming it
   * ({@code limit=1&limit=2} must not quietly mean one of them).
   */
  public String query(String param) {
    java.util.List<String> all = ctx.queryParams().getAll(param);
    if (all.size() > 1) {
      throw Invalid.of(param, "given " + all.size() + " times; it takes one value");
    }
    String value = all.isEmpty() ? null : all.get(0);
    return value == null || value.isEmpty() ? null : value;
  }

  /**
   * Every value of a parameter that may be repeated ({@code status=A&status=B}) or list several
   * values separated by commas ({@code status=A,B}); empty values are ignored.
   */
  public java.util.List<String> queryValues(String param) {
    java.util.List<String> values = new java.util.ArrayList<>();
    for (String raw : ctx.queryParams().getAll(param)) {
      for (String value : raw.split(",")) {
        if (!value.isBlank()) {
          values.add(value.trim());
        }
      }
    }
    return values;
  }

  /** An ISO-8601 instant such as {@code 2026-12-01T03:00:00Z}, or null when absent; else 400. */
  public java.time.Instant instantQuery(String param) {
    String value = query(param);
    if (value == null) {
      return null;
    }
    try {
      return java.time.Instant.parse(value.trim());
    } catch (java.time.format.DateTimeParseException e) {
      throw Invalid.of(
          param, "must be an ISO-8601 instant such as 2026-12-01T03:00:00Z, got '" + value + "'");
    }
  }

  public int intQuery(String param, int fallback, int min, int max) {
    String value = query(param);
    if (value == null) {
      return fallback;
    }
    String range = "between " + min + " and " + max;
    long n;
    try {
      n = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw Invalid.of(
          param,
          value.matches("-?[0-9]+")
              ? "must be " + range + ", got " + value
              : "must be a whole number " + range + ", got '" + value + "'");
    }
    if (n < min || n > max) {
      throw Invalid.of(param, "must be " + range + ", got " + n);
    }
    return (int) n;
  }

  public int limit() {
    return intQuery("limit", 50, 1, 500);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    String line = nl < 0 ? message : message.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }
}
