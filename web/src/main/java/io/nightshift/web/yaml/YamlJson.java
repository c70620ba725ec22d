package io.nightshift.web.yaml;

import io.vertx.core.json.JsonObject;
import java.io.StringReader;
import java.util.Date;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

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

  /** A key that appears twice in one mapping; {@code path} is its field path. */
  public static final class DuplicateKey extends RuntimeException {
    private final String path;

    DuplicateKey(String path) {
      super(path + ": appears twice in the same mapping");
      this.path = path;
    }

    public String path() {
      return path;
    }
  }

  public static JsonObject read(String text) {
    Object value;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      Yaml yaml = new Yaml(new SafeConstructor(options));
      refuseDuplicates(
          yaml.compose(new StringReader(text)),
          "",
          new IdentityHashMap<>(),
          java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
      value = yaml.load(text);
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

  /**
   * Refuses a key twice in one mapping, and an alias to a node that contains it ({@code a: &a
   * [*a]}: a structure without end, which no definition is). {@code open}: the nodes being walked.
   */
  private static void refuseDuplicates(
      Node node, String path, Map<Node, Boolean> seen, Set<Node> open) {
    if (node == null) {
      return;
    }
    if (open.contains(node)) {
      throw new NotYaml(
          "line "
              + (node.getStartMark().getLine() + 1)
              + ": "
              + (path.isEmpty() ? "the document" : path)
              + " refers (through an alias) to a node that contains it");
    }
    if (seen.put(node, Boolean.TRUE) != null) {
      return;
    }
    open.add(node);
    if (node instanceof MappingNode mapping) {
      Set<String> keys = new HashSet<>();
      for (NodeTuple tuple : mapping.getValue()) {
        String key = tuple.getKeyNode() instanceof ScalarNode scalar ? scalar.getValue() : null;
        String at = key == null ? path : path.isEmpty() ? key : path + "." + key;
        if (key != null && !keys.add(key)) {
          throw new DuplicateKey(at);
        }
        refuseDuplicates(tuple.getValueNode(), at, seen, open);
      }
    } else if (node instanceof SequenceNode sequence) {
      List<Node> items = sequence.getValue();
      for (int i = 0; i < items.size(); i++) {
        refuseDuplicates(items.get(i), path + "[" + i + "]", seen, open);
      }
    }
    open.remove(node);
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
