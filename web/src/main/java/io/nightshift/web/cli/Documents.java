package io.nightshift.web.cli;

import io.nightshift.web.yaml.YamlJson;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Templates and jobs as files ("as code"): YAML or JSON, the same fields as the API without what
 * the server adds (version, times, next fires).
 */
final class Documents {
  enum Kind {
    TEMPLATE("templates", Set.of("version", "createdAt", "updatedAt", "updatedBy")),
    JOB(
        "jobs",
        Set.of(
            "revision",
            "createdAt",
            "updatedAt",
            "nextFireTimes",
            "lastFire",
            "paused",
            "pausedBy",
            "pausedAt"));

    final String plural;
    final Set<String> serverFields;

    Kind(String plural, Set<String> serverFields) {
      this.plural = plural;
      this.serverFields = serverFields;
    }

    String word() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** One file read from a folder. */
  record Document(Path file, Kind kind, String name, JsonObject body) {}

  private Documents() {}

  /** A template or job file; a mistake names the file (and line for YAML) and gives exit 2. */
  static Document read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new CliError(file + ": cannot read: " + e.getMessage());
    }
    JsonObject body;
    String name = file.getFileName().toString();
    if (name.endsWith(".json")) {
      try {
        body = new JsonObject(text);
      } catch (DecodeException e) {
        throw new CliError(file + ": not valid JSON: " + firstLine(e.getMessage()));
      }
    } else {
      try {
        body = YamlJson.read(text);
      } catch (YamlJson.NotYaml e) {
        throw new CliError(file + ": not valid YAML: " + e.getMessage());
      }
    }
    Kind kind;
    if (body.containsKey("steps")) {
      kind = Kind.TEMPLATE;
    } else if (body.containsKey("template")) {
      kind = Kind.JOB;
    } else {
      throw new CliError(
          file + ": neither a template (it has no 'steps') nor a job (no 'template')");
    }
    Object n = body.getValue("name");
    if (!(n instanceof String s) || s.isBlank()) {
      throw new CliError(file + ": name: is required");
    }
    return new Document(file, kind, s, body);
  }

  /** What the server answered, as a file holds it: without the fields the server adds. */
  static JsonObject asCode(Kind kind, JsonObject answer) {
    JsonObject out = answer.copy();
    kind.serverFields.forEach(out::remove);
    return out;
  }

  static String yaml(JsonObject value) {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    options.setIndent(2);
    options.setIndicatorIndent(0);
    options.setWidth(100);
    options.setSplitLines(false);
    return new Yaml(new Representer(options), options)
        .dump(value.getMap().isEmpty() ? Map.of() : plain(value));
  }

  private static Object plain(Object v) {
    if (v instanceof JsonObject o) {
      Map<String, Object> out = new LinkedHashMap<>();
      o.forEach(e -> out.put(e.getKey(), plain(e.getValue())));
      return out;
    }
    if (v instanceof JsonArray a) {
      // A list of its own each time: SnakeYAML writes an object met twice as an anchor and
      // aliases (&id001, *id001), and toList() gives every empty list as one object, so an export
      // shared one between a template's params and every step's needs (apply refused more than 50
      // aliases, and a parameter added under params changed every needs).
      return new java.util.ArrayList<>(a.stream().map(Documents::plain).toList());
    }
    return v;
  }

  /**
   * What to send for a file: a job's fields the file leaves out are sent as their defaults (no
   * schedule, no params, no webhooks, forbid, fire_once), since the API keeps a field a PUT leaves
   * out: a line removed from the file must be removed on the server too. {@code enabled} is left
   * out when the file does (pausing is an operator's act, not part of the definition).
   */
  static JsonObject desired(Kind kind, JsonObject file) {
    // Fields the server adds, in a file written from an answer (an export by an earlier client
    // that kept lastFire, say): not part of the definition, and the API refuses them.
    JsonObject out = file.copy();
    kind.serverFields.forEach(out::remove);
    if (kind != Kind.JOB) {
      return out;
    }
    if (!out.containsKey("params")) {
      out.put("params", new JsonObject());
    }
    if (!out.containsKey("schedule")) {
      out.putNull("schedule");
    }
    if (!out.containsKey("notify")) {
      out.put("notify", new JsonArray());
    }
    if (!out.containsKey("concurrency")) {
      out.put("concurrency", "forbid");
    }
    if (!out.containsKey("misfire")) {
      out.put("misfire", "fire_once");
    }
    return out;
  }

  /**
   * Whether the server already holds what the file says. A field the file leaves out matches the
   * server's default for it (empty, false, zero, or the documented default).
   */
  static boolean same(Kind kind, JsonObject server, JsonObject file) {
    JsonObject desired = desired(kind, file).copy();
    if (kind == Kind.JOB
        && desired.getValue("schedule") instanceof JsonObject wanted
        && server.getValue("schedule") instanceof JsonObject stored
        && wanted.getValue("cron") != null
        && wanted.getValue("cron").equals(stored.getValue("crontab"))) {
      // A crontab line is stored converted (cron) with the line it came from (crontab).
      wanted.put("cron", stored.getValue("cron")).put("crontab", stored.getValue("crontab"));
    }
    if (kind == Kind.TEMPLATE) {
      JsonArray steps = desired.getJsonArray("steps", new JsonArray());
      String previous = null;
      for (int i = 0; i < steps.size(); i++) {
        if (steps.getValue(i) instanceof JsonObject step) {
          if (!step.containsKey("needs")) {
            step.put("needs", previous == null ? new JsonArray() : new JsonArray().add(previous));
          }
          previous = step.getString("name");
        }
      }
    }
    return matches(asCode(kind, server), desired, "");
  }

  private static boolean matches(Object server, Object file, String key) {
    if (file instanceof JsonObject f) {
      if (!(server instanceof JsonObject s)) {
        return false;
      }
      for (String k : f.fieldNames()) {
        if (!matches(s.getValue(k), f.getValue(k), k)) {
          return false;
        }
      }
      for (String k : s.fieldNames()) {
        if (!f.containsKey(k) && !isDefault(k, s.getValue(k), s)) {
          return false;
        }
      }
      return true;
    }
    if (file instanceof JsonArray f) {
      if (!(server instanceof JsonArray s) || s.size() != f.size()) {
        return false;
      }
      for (int i = 0; i < f.size(); i++) {
        if (!matches(s.getValue(i), f.getValue(i), key)) {
          return false;
        }
      }
      return true;
    }
    if (file instanceof Number a && server instanceof Number b) {
      return a.doubleValue() == b.doubleValue();
    }
    if (server instanceof String && (file instanceof Number || file instanceof Boolean)) {
      return server.equals(String.valueOf(file));
    }
    return Objects.equals(server, file);
  }

  private static boolean isDefault(String key, Object value, JsonObject owner) {
    if (value == null || Boolean.FALSE.equals(value)) {
      return true;
    }
    if (value instanceof Number n && n.doubleValue() == 0) {
      return true;
    }
    if (value instanceof JsonArray a && a.isEmpty()
        || value instanceof JsonObject o && o.isEmpty()) {
      return true;
    }
    return switch (key) {
      case "onFailure" -> "fail".equals(value);
      case "enabled" -> Boolean.TRUE.equals(value);
      case "concurrency" -> "forbid".equals(value);
      case "misfire" -> "fire_once".equals(value);
      case "onTimeout" -> "deny".equals(value);
      case "timezone" -> "UTC".equals(value);
      case "expectStatus" -> Integer.valueOf(200).equals(value);
      case "method" -> value.equals("notify".equals(owner.getString("kind")) ? "POST" : "GET");
      default -> false;
    };
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
