package io.nightshift.bench;

import io.nightshift.scheduler.store.Database;
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
import org.flywaydb.core.Flyway;

/**
 * Starts a real Nightshift on MySQL/MariaDB + Redis in this process and drives it through its HTTP
 * API over loopback: (a) log pipeline throughput against raw multi-row inserts, (b) runs per second
 * against plain process spawns, (c) live log latency over Server-Sent Events, (d) scheduled fires
 * per second, misses, duplicates and lag against raw Quartz with its JDBC JobStore. Prints the
 * figures and a table of goals.
 *
 * <p>Run: {@code java -cp 'bench/target/nightshift-bench.jar:bench/target/lib/*'
 * io.nightshift.bench.Benchmark [n=1000000] [r=300] [c=4] [jobs=500] [seconds=60]
 * [parts=logs,runs,live,fires]} (see {@link Settings}; {@code scripts/bench.sh} builds and runs
 * it).
 */
public final class Benchmark {
  /**
   * The scheduling goal: fires per second sustained (with 0 missed, 0 duplicates, p99 < 500 ms).
   */
  static final int FIRES_GOAL = 500;

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

    long firstRunId = cleanSchema(s);
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
    try (Nightshift nightshift = Nightshift.start(config, Clock.systemUTC());
        Connection db = Sql.connect(s)) {
      Api api = new Api(nightshift.port(), token);
      if (s.parts().contains("logs")) {
        System.out.printf(
            Locale.ROOT, "(a) log pipeline: one step printing %,d lines%n", s.lines());
        logs = new LogPipelineBench(s, api, db, firstRunId, cpu).run();
        print(logs);
      }
      if (s.parts().contains("runs")) {
        System.out.printf(
            Locale.ROOT,
            "(b) runs: %d one-step 'echo hi' runs from %d clients%n",
            s.runs(),
            s.concurrency());
        runs = new RunsBench(s, api, db, cpu).run();
        print(runs);
      }
      if (s.parts().contains("live")) {
        System.out.printf(
            Locale.ROOT,
            "(c) live latency: SSE follower, %d lines every ~%d ms%n",
            s.liveLines(),
            s.liveIntervalMs());
        live = new LatencyBench(s, api, cpu).run();
        print(live);
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
        print(fires);
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
    return table(logs, runs, live, fires, quartz) ? 0 : 1;
  }

  private static List<Boolean> quartzModes(String quartz) {
    return switch (quartz) {
      case "jdbc" -> List.of(false);
      case "clustered" -> List.of(true);
      case "both" -> List.of(false, true);
      default -> List.of();
    };
  }

  /**
   * Drops every table (Flyway clean, as the tests do), migrates, and moves the run ids far away
   * from other programs' (the live channels {@code nightshift:log:{runId}} are global to the Redis
   * server, whatever database is selected). Returns the id the first run will get.
   */
  private static long cleanSchema(Settings s) throws Exception {
    Flyway.configure()
        .dataSource(Sql.withDriverOptions(s.dbUrl()), s.dbUser(), s.dbPassword())
        .cleanDisabled(false)
        .locations("classpath:db/migration")
        .load()
        .clean();
    Database.open(new DatabaseSettings(s.dbUrl(), s.dbUser(), s.dbPassword(), 2)).close();
    long first = 7_000_000_000L + (System.currentTimeMillis() / 1000 % 1_000_000) * 1000;
    try (Connection c = Sql.connect(s)) {
      Sql.execute(c, "ALTER TABLE run AUTO_INCREMENT = " + first);
    }
    return first;
  }

  private static String infoField(String info, String field) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return line.substring(field.length() + 1).trim();
      }
    }
    return "-1";
  }

  private static void print(LogPipelineBench.Result r) {
    System.out.printf(
        Locale.ROOT,
        "    end-to-end  %,10.0f lines/s  (%,d lines stored in %.2f s; the step itself ran %.2f s;"
            + " run %s)%n",
        r.linesPerSecond(),
        r.stored(),
        r.seconds(),
        r.producerSeconds(),
        r.runStatus());
    System.out.printf(
        Locale.ROOT,
        "    raw insert  %,10.0f rows/s   (%,d rows, 1000-row INSERTs, autocommit each, %.2f s)%n",
        r.rawPerSecond(),
        r.lines(),
        r.rawSeconds());
    System.out.printf(Locale.ROOT, "    ratio       %10.2f%n", r.ratio());
    System.out.printf(
        Locale.ROOT,
        "    stored: lost %d, duplicates %d, content mismatches %d%n",
        r.lost(),
        r.storedDuplicates(),
        r.contentMismatch());
    if (r.liveChecked()) {
      System.out.printf(
          Locale.ROOT,
          "    live channel: %,d messages, %,d distinct, %d duplicates, %d missing%n",
          r.liveMessages(),
          r.liveDistinct(),
          r.liveDuplicates(),
          r.lines() - r.liveDistinct());
    } else {
      System.out.println("    live channel: not checked (the run got another id than expected)");
    }
  }

  private static void print(RunsBench.Result r) {
    System.out.printf(
        Locale.ROOT,
        "    nightshift  %8.1f runs/s    (%d runs in %.2f s, POSTs took %.2f s; %d SUCCEEDED, %d"
            + " other; JVM CPU %.1f ms per run)%n",
        r.runsPerSecond(),
        r.runs(),
        r.seconds(),
        r.postSeconds(),
        r.succeeded(),
        r.otherwise(),
        r.jvmCpuMsPerRun());
    System.out.printf(
        Locale.ROOT,
        "    spawn       %8.1f /s        (%d x sh -c 'echo hi' from %d threads in %.2f s)%n",
        r.spawnsPerSecond(),
        r.runs(),
        r.concurrency(),
        r.spawnSeconds());
    System.out.printf(Locale.ROOT, "    ratio       %8.2f%n", r.ratio());
  }

  private static void print(LatencyBench.Result r) {
    System.out.printf(
        Locale.ROOT,
        "    p50 %.1f ms  p99 %.1f ms  max %.1f ms  (%d of %d lines received live, %d replayed;"
            + " end %s)%n",
        r.p50Ms(),
        r.p99Ms(),
        r.maxMs(),
        r.received(),
        r.expected(),
        r.replayed(),
        r.endStatus());
  }

  private static void print(FiresBench.Result r) {
    System.out.println(r.stats().describe());
    System.out.printf(
        Locale.ROOT,
        "    outcomes of the window's fires %s; nightshift_fires_duplicates_total %.0f; window"
            + " complete %.1f s after its end%n",
        r.outcomes(),
        r.duplicatesMetric(),
        r.windowCompleteSeconds());
    System.out.printf(
        Locale.ROOT,
        "    runs of the window's fires: %,d created, %,d SUCCEEDED, %,d unfinished %s; last"
            + " finished %.1f s after the window%n",
        r.runsCreated(),
        r.runsSucceeded(),
        r.runsUnfinished(),
        r.runStatuses(),
        r.runsDrainedSeconds());
  }

  /** Prints the goals table; true when every measured goal is met. */
  private static boolean table(
      LogPipelineBench.Result logs,
      RunsBench.Result runs,
      LatencyBench.Result live,
      FiresBench.Result fires,
      List<QuartzJdbcBench.Result> quartz) {
    List<String[]> rows = new ArrayList<>();
    boolean all = true;
    if (logs != null) {
      boolean rate = logs.ratio() >= 0.6;
      boolean exact =
          logs.lost() == 0
              && logs.storedDuplicates() == 0
              && logs.contentMismatch() == 0
              && (!logs.liveChecked() || logs.liveDuplicates() == 0);
      rows.add(
          new String[] {
            "log lines/s end-to-end vs raw insert",
            String.format(
                Locale.ROOT,
                "%,.0f / %,.0f = %.2f",
                logs.linesPerSecond(),
                logs.rawPerSecond(),
                logs.ratio()),
            ">= 0.6",
            rate ? "met" : "NOT MET"
          });
      rows.add(
          new String[] {
            "lines lost / duplicated (stored; live)",
            String.format(
                Locale.ROOT,
                "%d / %d; live dups %s",
                logs.lost(),
                logs.storedDuplicates(),
                logs.liveChecked() ? String.valueOf(logs.liveDuplicates()) : "n/a"),
            "0 / 0",
            exact ? "met" : "NOT MET"
          });
      all &= rate && exact;
    }
    if (runs != null) {
      boolean ok = runs.ratio() >= 0.4 && runs.otherwise() == 0;
      rows.add(
          new String[] {
            "runs/s vs sh -c 'echo hi' spawns/s",
            String.format(
                Locale.ROOT,
                "%.1f / %.1f = %.2f (JVM CPU %.1f ms/run)",
                runs.runsPerSecond(),
                runs.spawnsPerSecond(),
                runs.ratio(),
                runs.jvmCpuMsPerRun()),
            ">= 0.4",
            ok ? "met" : "NOT MET"
          });
      all &= ok;
    }
    if (live != null) {
      boolean ok = live.received() > 0 && live.p99Ms() < 100;
      rows.add(
          new String[] {
            "live SSE latency p99 (p50)",
            String.format(Locale.ROOT, "%.1f ms (%.1f ms)", live.p99Ms(), live.p50Ms()),
            "< 100 ms",
            ok ? "met" : "NOT MET"
          });
      all &= ok;
    }
    if (fires != null) {
      FireStats f = fires.stats();
      String beside =
          quartz.isEmpty()
              ? ""
              : quartz.stream()
                  .map(q -> String.format(Locale.ROOT, "%.0f", q.stats().firesPerSecond()))
                  .collect(java.util.stream.Collectors.joining("/", " (Quartz JDBC ", ")"));
      // 1% for the window's edges: a fire claimed a few ms after the end counts in no window.
      boolean rate = f.firesPerSecond() >= FIRES_GOAL * 0.99;
      rows.add(
          new String[] {
            "fires/s sustained, " + f.jobs() + " jobs every 1 s",
            String.format(Locale.ROOT, "%.1f%s", f.firesPerSecond(), beside),
            ">= " + FIRES_GOAL,
            rate ? "met" : "NOT MET"
          });
      boolean exact = f.missed() == 0 && f.duplicates() == 0 && fires.duplicatesMetric() == 0;
      rows.add(
          new String[] {
            "fires missed / duplicated (metric)",
            String.format(
                Locale.ROOT,
                "%,d / %d (%.0f)",
                f.missed(),
                f.duplicates(),
                fires.duplicatesMetric()),
            "0 / 0",
            exact ? "met" : "NOT MET"
          });
      boolean lag = f.p99Ms() >= 0 && f.p99Ms() < 500;
      rows.add(
          new String[] {
            "fire lag p99 (p50)",
            String.format(Locale.ROOT, "%,d ms (%,d ms)", f.p99Ms(), f.p50Ms()),
            "< 500 ms",
            lag ? "met" : "NOT MET"
          });
      boolean ran =
          fires.claimOnly()
              || fires.runsCreated() > 0 && fires.runsSucceeded() == fires.runsCreated();
      if (!fires.claimOnly()) {
        rows.add(
            new String[] {
              "runs of those fires SUCCEEDED",
              String.format(
                  Locale.ROOT,
                  "%,d of %,d (%,d unfinished)",
                  fires.runsSucceeded(),
                  fires.runsCreated(),
                  fires.runsUnfinished()),
              "all",
              ran ? "met" : "NOT MET"
            });
      }
      all &= rate && exact && lag && ran;
      for (QuartzJdbcBench.Result q : quartz) {
        FireStats s = q.stats();
        rows.add(
            new String[] {
              "baseline Quartz JDBC" + (q.clustered() ? " clustered" : ""),
              String.format(
                  Locale.ROOT,
                  "%.1f/s, missed %,d, dup %d, p99 %,d ms",
                  s.firesPerSecond(),
                  s.missed(),
                  s.duplicates(),
                  s.p99Ms()),
              "",
              "(baseline)"
            });
      }
    }
    String format = "%-40s %-40s %-9s %s%n";
    System.out.printf(Locale.ROOT, format, "goal", "measured", "target", "result");
    for (String[] row : rows) {
      System.out.printf(Locale.ROOT, format, (Object[]) row);
    }
    return all;
  }

  private static String freshKey() {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    return java.util.Base64.getEncoder().encodeToString(key);
  }
}
