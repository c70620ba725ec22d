package io.nightshift.bench;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark's parameters: {@code key=value} arguments, else system properties {@code
 * bench.key}, else the defaults below.
 *
 * @param lines lines printed by the log pipeline step (N)
 * @param runs one-step runs started for the runs throughput (R)
 * @param concurrency concurrent HTTP clients starting runs, and concurrent spawners in the baseline
 * @param liveLines timestamped lines printed by the live latency step
 * @param liveIntervalMs pause between two of those lines
 * @param parts which parts run: {@code logs}, {@code runs}, {@code live}
 */
record Settings(
    long lines,
    int runs,
    int concurrency,
    int liveLines,
    int liveIntervalMs,
    String dbUrl,
    String dbUser,
    String dbPassword,
    String redisUrl,
    Set<String> parts) {

  static final List<String> KEYS =
      List.of(
          "n",
          "r",
          "c",
          "liveLines",
          "liveIntervalMs",
          "db.url",
          "db.user",
          "db.password",
          "redis.url",
          "parts");

  static Settings parse(String[] args) {
    Map<String, String> given = new HashMap<>();
    for (String key : KEYS) {
      String value = System.getProperty("bench." + key);
      if (value != null) {
        given.put(key, value);
      }
    }
    for (String arg : args) {
      int eq = arg.indexOf('=');
      String key = eq < 0 ? arg : arg.substring(0, eq).replaceFirst("^-+", "");
      if (eq < 0 || !KEYS.contains(key)) {
        throw new IllegalArgumentException(
            "unknown argument '" + arg + "'; use key=value with key one of " + KEYS);
      }
      given.put(key, arg.substring(eq + 1));
    }
    Set<String> parts = new LinkedHashSet<>();
    for (String p : given.getOrDefault("parts", "logs,runs,live").split(",")) {
      String part = p.trim();
      if (!Set.of("logs", "runs", "live").contains(part)) {
        throw new IllegalArgumentException("parts: logs, runs, live; got '" + part + "'");
      }
      parts.add(part);
    }
    return new Settings(
        positive(given, "n", 1_000_000),
        (int) positive(given, "r", 300),
        (int) positive(given, "c", 4),
        (int) positive(given, "liveLines", 300),
        (int) positive(given, "liveIntervalMs", 20),
        given.getOrDefault("db.url", "jdbc:mysql://127.0.0.1:3306/nightshift_bench"),
        given.getOrDefault("db.user", "nightshift"),
        given.getOrDefault("db.password", "nightshift"),
        // A Redis database of its own: the stream and its consumer group are per database, so
        // leftovers of other programs on the shared Redis can never reach this run's store.
        given.getOrDefault("redis.url", "redis://127.0.0.1:6379/11"),
        parts);
  }

  private static long positive(Map<String, String> given, String key, long fallback) {
    String text = given.get(key);
    if (text == null) {
      return fallback;
    }
    try {
      long value = Long.parseLong(text.replace("_", "").replace(",", ""));
      if (value > 0) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        key + " must be a positive whole number, got '" + text + "'");
  }
}
