package io.nightshift.bench;

import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.web.Nightshift;
import io.nightshift.web.config.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Starts a real Nightshift on MySQL/MariaDB + Redis in this process and drives it through its HTTP
 * API over loopback: (a) log pipeline throughput against raw multi-row inserts, (b) runs per second
 * against plain process spawns, (c) live log latency over Server-Sent Events, (d) scheduled fires
 * per second, misses, duplicates and lag against raw Quartz with its JDBC JobStore. Prints the
 * figures ({@link Figures}) and a table of goals ({@link GoalsTable}).
 *
 * <p>Run: {@code java -cp 'bench/target/nightshift-bench.jar:bench/target/lib/*'
 * io.nightshift.bench.Benchmark [n=1000000] [r=300] [c=4] [jobs=500] [seconds=60]
 * [parts=logs,runs,live,fires]} (see {@link Settings}; {@code scripts/bench.sh} builds and runs
 * it).
 */
public final class Benchmark {
  private Benchmark() {}

  public static void main(String[] args) throws Exception {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "bench-logback.xml");
    }
    Settings settings;
    try {
      settings = Settings.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("bench: " + e.getMessage());
      System.exit(2);
      return;
    }
    System.exit(new Benchmark().run(settings));
  }

  private int run(Settings s) throws Exception {
    String dbVersion;
    String redisVersion;
    long redisPid;
    try (Connection c = Sql.connect(s)) {
      try (var st = c.createStatement();
          var rs = st.executeQuery("SELECT VERSION()")) {
        rs.next();
        dbVersion = rs.getString(1);
      }
    }
    try (Resp redis = Resp.connect(s.redisUrl())) {
      String info = String.valueOf(redis.command("INFO", "server"));
      redisVersion = infoField(info, "redis_version");
      redisPid = Long.parseLong(infoField(info, "process_id"));
      // Leftovers of an earlier run in this Redis database would be stored into the fresh schema.
      redis.command("DEL", "nightshift:logs");
    }
    System.out.printf(
        Locale.ROOT,
        "Nightshift benchmark  %s  %d cores  %s  Redis %s  Java %s%n",
        Instant.now().truncatedTo(ChronoUnit.SECONDS),
        Runtime.getRuntime().availableProcessors(),
        dbVersion.contains("MariaDB") ? "MariaDB " + dbVersion : "MySQL " + dbVersion,
        redisVersion,
        System.getProperty("java.version"));
    System.out.printf(
        Locale.ROOT,
        "  n=%d r=%d c=%d liveLines=%d liveIntervalMs=%d db=%s redis=%s%n",
        s.lines(),
        s.runs(),
        s.concurrency(),
        s.liveLines(),
        s.liveIntervalMs(),
        s.dbUrl(),
        s.redisUrl());
    if (s.parts().contains("fires")) {
      System.out.printf(
          Locale.ROOT,
          "  jobs=%d seconds=%d warmup=%d quartz=%s quartzThreads=%d quartz.db=%s%n",
          s.jobs(),
          s.seconds(),
          s.warmup(),
          s.quartz(),
          s.quartzThreads(),
          s.quartzDbUrl());
    }
    System.out.println("  load average before: " + CpuMeter.loadAverage());
    CpuMeter cpu = new CpuMeter(redisPid);

    long firstRunId = BenchSchema.clean(s);
    Path dataDir = Files.createTempDirectory("nightshift-bench-");
    String token = "bench-admin-" + UUID.randomUUID();
    Config config =
        Config.of(
                "bench-" + UUID.randomUUID().toString().substring(0, 8),
                dataDir,
                new Config.Http("127.0.0.1", 0, 1024 * 1024),
                new DatabaseSettings(s.dbUrl(), s.dbUser(), s.dbPassword(), 20),
                new Config.Redis(s.redisUrl()),
                new Config.Auth(token, false),
                new Config.Runs(3600, Math.max(1_000_000, s.lines()), 16_384, 5),
                new Config.Logs(2_000_000, 30))
            // A fresh key per benchmark: its schema is cleaned first, so no stored secret needs
            // one.
            .withSecrets(new Config.Secrets(freshKey(), null, List.of()));

    LogPipelineBench.Result logs = null;
    RunsBench.Result runs = null;
    LatencyBench.Result live = null;
    FiresBench.Result fires = null;
    List<QuartzJdbcBench.Result> quartz = new ArrayList<>();
    long started = System.nanoTime();
    // The node's data directory goes when the benchmark ends, after the node (which removes its
    // own work root).
    try (TempDir ignored = new TempDir(dataDir);
        Nightshift nightshift = Nightshift.start(config, Clock.systemUTC());
        Connection db = Sql.connect(s)) {
      Api api = new Api(nightshift.port(), token);
      if (s.parts().contains("logs")) {
        System.out.printf(
            Locale.ROOT, "(a) log pipeline: one step printing %,d lines%n", s.lines());
        logs = new LogPipelineBench(s, api, db, firstRunId, cpu).run();
        Figures.print(logs);
      }
      if (s.parts().contains("runs")) {
        System.out.printf(
            Locale.ROOT,
            "(b) runs: %d one-step 'echo hi' runs from %d clients, after %d warm-up runs%n",
            s.runs(),
            s.concurrency(),
            RunsBench.warmup(s));
        runs = new RunsBench(s, api, db, cpu).run();
        Figures.print(runs);
      }
      if (s.parts().contains("live")) {
        System.out.printf(
            Locale.ROOT,
            "(c) live latency: SSE follower, %d lines every ~%d ms%n",
            s.liveLines(),
            s.liveIntervalMs());
        live = new LatencyBench(s, api, cpu).run();
        Figures.print(live);
      }
      if (s.parts().contains("fires")) {
        System.out.printf(
            Locale.ROOT,
            "(d) fires: %d jobs every second (%s), %d s window; load average %s%n",
            s.jobs(),
            "claim".equals(s.fireMode())
                ? "fireMode=claim: concurrency forbid, one run parked on an approval per job, every"
                    + " later fire a recorded overlap skip"
                : "each fire starts a one-step 'true' run",
            s.seconds(),
            CpuMeter.loadAverage());
        fires = new FiresBench(s, api, db, cpu).run();
        Figures.print(fires);
        for (boolean clustered : quartzModes(s.quartz())) {
          System.out.printf(
              Locale.ROOT,
              "(d) baseline: raw Quartz JDBC JobStore (%s), %d no-op jobs every second; load"
                  + " average %s%n",
              clustered ? "clustered" : "not clustered",
              s.jobs(),
              CpuMeter.loadAverage());
          QuartzJdbcBench.Result q = new QuartzJdbcBench(s, cpu, clustered).run();
          System.out.println(q.stats().describe());
          quartz.add(q);
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "total %.0f s; load average after: %s%n%n",
        (System.nanoTime() - started) / 1e9,
        CpuMeter.loadAverage());
    return GoalsTable.print(logs, runs, live, fires, quartz) ? 0 : 1;
  }

  private static List<Boolean> quartzModes(String quartz) {
    return switch (quartz) {
      case "jdbc" -> List.of(false);
      case "clustered" -> List.of(true);
      case "both" -> List.of(false, true);
      default -> List.of();
    };
  }

  private static String infoField(String info, String field) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1).trim();
      }
    }
    return "-1";
  }

  private static String freshKey() {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    return java.util.Base64.getEncoder().encodeToString(key);
  }
}
