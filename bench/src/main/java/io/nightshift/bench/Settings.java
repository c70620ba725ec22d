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
 * @param runWarmup runs (and spawns) before the measured ones, not measured; 0: R/10 between 5 and
 *     20. More lets the JIT finish compiling first (its CPU is printed beside the rate)
 * @param concurrency concurrent HTTP clients starting runs, and concurrent spawners in the baseline
 * @param liveLines timestamped lines printed by the live latency step
 * @param liveIntervalMs pause between two of those lines
 * @param parts which parts run: {@code logs}, {@code runs}, {@code live}, {@code fires}
 * @param jobs jobs firing every second in the fires part (N)
 * @param seconds measured window of the fires part (D)
 * @param warmup seconds of firing before the window opens
 * @param fireMode {@code run}: every fire starts a one-step {@code true} run (concurrency allow);
 *     {@code claim}: the claim path alone (the first fire of each job starts a run parked on an
 *     approval step, concurrency forbid, so every later fire is a claimed, recorded overlap skip)
 * @param quartz raw Quartz JDBC JobStore baseline of the fires part: {@code jdbc} (not clustered),
 *     {@code clustered}, {@code both}, or {@code none}
 * @param quartzThreads Quartz thread pool of the baseline (also its batch acquisition size)
 * @param quartzDbUrl database of the baseline's QRTZ_ tables (dropped and created at start)
 */
record Settings(
    long lines,
    int runs,
    int runWarmup,
    int concurrency,
    int liveLines,
    int liveIntervalMs,
    String dbUrl,
    String dbUser,
    String dbPassword,
    String redisUrl,
    Set<String> parts,
    int jobs,
    int seconds,
    int warmup,
    String fireMode,
    String quartz,
    int quartzThreads,
    String quartzDbUrl) {

  static final List<String> KEYS =
      List.of(
          "n",
          "r",
          "runWarmup",
          "c",
          "liveLines",
          "liveIntervalMs",
          "db.url",
          "db.user",
          "db.password",
          "redis.url",
          "parts",
          "jobs",
          "seconds",
          "warmup",
          "fireMode",
          "quartz",
          "quartzThreads",
          "quartz.db.url");

  static final Set<String> PARTS = Set.of("logs", "runs", "live", "fires");

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
    for (String p : given.getOrDefault("parts", "logs,runs,live,fires").split(",")) {
      String part = p.trim();
      if (!PARTS.contains(part)) {
        throw new IllegalArgumentException("parts: logs, runs, live, fires; got '" + part + "'");
      }
      parts.add(part);
    }
    return new Settings(
        positive(given, "n", 1_000_000),
        (int) positive(given, "r", 300),
        given.containsKey("runWarmup") ? (int) positive(given, "runWarmup", 1) : 0,
        (int) positive(given, "c", 4),
        (int) positive(given, "liveLines", 300),
        (int) positive(given, "liveIntervalMs", 20),
        given.getOrDefault("db.url", "jdbc:mysql://127.0.0.1:3306/nightshift_bench"),
        given.getOrDefault("db.user", "nightshift"),
        given.getOrDefault("db.password", "nightshift"),
        // A Redis database of its own: the stream and its consumer group are per database, so
        // leftovers of other programs on the shared Redis can never reach this run's store.
        given.getOrDefault("redis.url", "redis://127.0.0.1:6379/11"),
        parts,
        (int) positive(given, "jobs", 500),
        (int) positive(given, "seconds", 60),
        (int) positive(given, "warmup", 15),
        oneOf(given, "fireMode", "run", "run", "claim"),
        quartz(given.getOrDefault("quartz", "jdbc")),
        (int) positive(given, "quartzThreads", 20),
        given.getOrDefault("quartz.db.url", "jdbc:mysql://127.0.0.1:3306/nightshift_bench_quartz"));
  }

  private static String oneOf(
      Map<String, String> given, String key, String fallback, String... allowed) {
    String value = given.getOrDefault(key, fallback);
    if (!List.of(allowed).contains(value)) {
      throw new IllegalArgumentException(
          key + ": one of " + String.join(", ", allowed) + "; got '" + value + "'");
    }
    return value;
  }

  private static String quartz(String value) {
    if (!Set.of("jdbc", "clustered", "both", "none").contains(value)) {
      throw new IllegalArgumentException(
          "quartz: jdbc, clustered, both or none; got '" + value + "'");
    }
    return value;
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
