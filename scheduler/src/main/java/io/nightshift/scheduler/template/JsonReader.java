package io.nightshift.scheduler.template;

import io.nightshift.scheduler.error.Invalid;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads typed fields out of a JSON object and collects every problem with the path of its field, so
 * one answer lists everything that is wrong.
 */
public final class JsonReader {
  private final List<Invalid.Problem> problems = new ArrayList<>();

  public void problem(String field, String message) {
    problems.add(new Invalid.Problem(field, message));
  }

  /** Runs a read that may throw {@link Invalid}; its problems join these, and null is returned. */
  public <T> T collect(java.util.function.Supplier<T> read) {
    try {
      return read.get();
    } catch (Invalid e) {
      problems.addAll(e.problems());
      return null;
    }
  }

  public boolean ok() {
    return problems.isEmpty();
  }

  /** Throws {@link Invalid} listing every problem found so far, if any. */
  public void throwIfAny() {
    if (!problems.isEmpty()) {
      throw new Invalid(problems);
    }
  }

  public static String path(String parent, String key) {
    return parent == null || parent.isEmpty() ? key : parent + "." + key;
  }

  public void rejectUnknown(JsonObject json, Set<String> known, String parent) {
    for (String key : json.fieldNames()) {
      if (!known.contains(key)) {
        problem(path(parent, key), "unknown field; allowed fields are " + new TreeSet<>(known));
      }
    }
  }

  public String string(JsonObject json, String key, String parent, boolean required) {
    Object value = json.getValue(key);
    String field = path(parent, key);
    if (value == null) {
      if (required) {
        problem(field, "is required");
      }
      return null;
    }
    if (!(value instanceof String s)) {
      problem(field, "must be a string");
      return null;
    }
    if (required && s.isBlank()) {
      problem(field, "must not be blank");
      return null;
    }
    return s;
  }

  /**
   * A resource's {@code name}: required unless the URL names the resource (then the URL's name when
   * the body has none), a resource name (see {@link Names}), and the URL's name when both give one.
   */
  public String resourceName(JsonObject json, String nameFromUrl) {
    String name = string(json, "name", "", nameFromUrl == null);
    if (name == null) {
      return nameFromUrl;
    }
    if (!Names.isResourceName(name)) {
      problem("name", Names.resourceRule() + ", got '" + name + "'");
    } else if (nameFromUrl != null && !nameFromUrl.equals(name)) {
      problem("name", "'" + name + "' differs from the name in the URL '" + nameFromUrl + "'");
    }
    return name;
  }

  public Integer integer(JsonObject json, String key, String parent, int min, int max) {
    Object value = json.getValue(key);
    String field = path(parent, key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof Integer || value instanceof Long)) {
      problem(field, "must be a whole number between " + min + " and " + max);
      return null;
    }
    long n = ((Number) value).longValue();
    if (n < min || n > max) {
      problem(field, "must be between " + min + " and " + max + ", got " + n);
      return null;
    }
    return (int) n;
  }

  public boolean bool(JsonObject json, String key, String parent) {
    Object value = json.getValue(key);
    if (value == null) {
      return false;
    }
    if (!(value instanceof Boolean b)) {
      problem(path(parent, key), "must be true or false");
      return false;
    }
    return b;
  }

  public JsonObject object(JsonObject json, String key, String parent) {
    Object value = json.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject o)) {
      problem(path(parent, key), "must be an object");
      return null;
    }
    return o;
  }

  public JsonArray array(JsonObject json, String key, String parent) {
    Object value = json.getValue(key);
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonArray a)) {
      problem(path(parent, key), "must be an array");
      return null;
    }
    return a;
  }

  /** A list of strings, or null when absent. */
  public List<String> strings(JsonObject json, String key, String parent) {
    JsonArray array = array(json, key, parent);
    if (array == null) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      Object item = array.getValue(i);
      if (item instanceof String s) {
        out.add(s);
      } else {
        problem(path(parent, key) + "[" + i + "]", "must be a string");
      }
    }
    return out;
  }

  /** An object whose values are all strings (headers, params), or an empty map when absent. */
  public Map<String, String> stringMap(JsonObject json, String key, String parent) {
    JsonObject object = object(json, key, parent);
    Map<String, String> out = new LinkedHashMap<>();
    if (object == null) {
      return out;
    }
    for (String name : object.fieldNames()) {
      Object value = object.getValue(name);
      if (value instanceof String s) {
        out.put(name, s);
      } else {
        problem(path(path(parent, key), name), "must be a string");
      }
    }
    return out;
  }
}
