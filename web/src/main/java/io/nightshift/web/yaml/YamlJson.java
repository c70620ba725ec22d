package io.nightshift.web.yaml;

import io.vertx.core.json.JsonObject;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads a YAML mapping as the JSON object the API validates (templates and jobs as code), so YAML
 * and JSON bodies get the same checks and the same field paths. Safe loading only: no types, no
 * code; keys become text and timestamps ISO-8601 text.
 */
public final class YamlJson {
  private YamlJson() {}

  /** Why a text is not a YAML mapping: a sentence, with the line when known. */
  public static final class NotYaml extends RuntimeException {
    NotYaml(String message) {
      super(message);
    }
  }

  public static JsonObject read(String text) {
    Object value;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      value = new Yaml(new SafeConstructor(options)).load(text);
    } catch (MarkedYAMLException e) {
      throw new NotYaml(
          "line " + (e.getProblemMark().getLine() + 1) + ": " + String.valueOf(e.getProblem()));
    } catch (YAMLException e) {
      String message = String.valueOf(e.getMessage());
      int nl = message.indexOf('\n');
      throw new NotYaml(nl < 0 ? message : message.substring(0, nl));
    }
    if (!(value instanceof Map<?, ?> map)) {
      throw new NotYaml("must be a mapping of fields");
    }
    return new JsonObject(fields(map));
  }

  private static Map<String, Object> fields(Map<?, ?> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach((k, v) -> out.put(String.valueOf(k), value(v)));
    return out;
  }

  private static Object value(Object v) {
    if (v instanceof Map<?, ?> m) {
      return fields(m);
    }
    if (v instanceof List<?> l) {
      return l.stream().map(YamlJson::value).toList();
    }
    if (v instanceof Date d) {
      return d.toInstant().toString();
    }
    return v;
  }
}
