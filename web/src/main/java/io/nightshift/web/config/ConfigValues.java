package io.nightshift.web.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The configuration's keys flattened to {@code section.key}, with typed access: each value is
 * checked against its type and range, and a problem is a {@link ConfigException} naming the key.
 * Blank strings count as absent.
 */
record ConfigValues(Map<String, Object> flat, Path file) {
  String string(String key, String fallback) {
    Object value = flat.get(key);
    if (value == null) {
      return fallback;
    }
    if (value instanceof Map || value instanceof List) {
      throw new ConfigException(key + ": must be a single value (in " + file + ")");
    }
    String s = String.valueOf(value).trim();
    return s.isEmpty() ? fallback : s;
  }

  /** A YAML list or a comma-separated string; empty when absent. */
  List<String> list(String key) {
    Object value = flat.get(key);
    if (value == null) {
      return List.of();
    }
    List<?> items = value instanceof List<?> l ? l : List.of(String.valueOf(value).split(","));
    List<String> out = new java.util.ArrayList<>();
    for (Object item : items) {
      if (item instanceof Map || item instanceof List) {
        throw new ConfigException(key + ": must be a list of names (in " + file + ")");
      }
      String s = String.valueOf(item).trim();
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }

  int integer(String key, int fallback, int min, int max) {
    String s = string(key, null);
    if (s == null) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(s);
      if (n < min || n > max) {
        throw new ConfigException(key + ": must be between " + min + " and " + max + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigException(key + ": must be a whole number, got '" + s + "'");
    }
  }

  boolean bool(String key, boolean fallback) {
    String s = string(key, null);
    if (s == null) {
      return fallback;
    }
    if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
      return Boolean.parseBoolean(s);
    }
    throw new ConfigException(key + ": must be true or false, got '" + s + "'");
  }
}
