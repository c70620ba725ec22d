package io.nightshift.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * (b) R one-step {@code echo hi} runs started through {@code POST /runs} by C concurrent clients;
 * rate = R / (first POST until the last run finished), against spawning {@code sh -c 'echo hi'} R
 * times from C threads with ProcessBuilder (reading its output, waiting for its exit). The JVM's
 * CPU time over the measured runs (service and clients, JIT and GC included) divided by R is
 * printed beside the rate, and the part of it the JIT compiler's threads took (still compiling: a
 * longer run or warm-up lowers it).
 */
final class RunsBench {
  record Result(
      int runs,
      int concurrency,
      double seconds,
      double runsPerSecond,
      double postSeconds,
      int succeeded,
      int otherwise,
      double spawnSeconds,
      double spawnsPerSecond,
      double jvmCpuMsPerRun,
      double jitCpuMsPerRun) {
    double ratio() {
      return runsPerSecond / spawnsPerSecond;
    }
  }

  private final Settings settings;
  private final Api api;
  private final Connection db;
  private final CpuMeter cpu;

  RunsBench(Settings settings, Api api, Connection db, CpuMeter cpu) {
    this.settings = settings;
    this.api = api;
    this.db = db;
    this.cpu = cpu;
  }

  Result run() throws Exception {
    int r = settings.runs();
    int c = settings.concurrency();
    int warmup = warmup(settings);
    api.post(
        "/templates",
        new JsonObject()
            .put("name", "bench-echo")
            .put("description", "says hi")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "hi")
                            .put("kind", "command")
                            .put("command", "echo hi"))),
        201);

    // Warm-up (not measured): the same path, so the JIT and the pools are in the same state as
    // for the spawn loop below, which gets its own warm-up.
    List<Long> warm = startRuns(warmup, c);
    awaitFinished(warm, 60_000);

    CpuMeter.Snapshot cpuStart = cpu.now();
    Instant start = Instant.now();
    long startNanos = System.nanoTime();
    List<Long> ids = startRuns(r, c);
    double postSeconds = (System.nanoTime() - startNanos) / 1e9;
    Instant lastFinished = awaitFinished(ids, 300_000);
    double seconds = (lastFinished.toEpochMilli() - start.toEpochMilli()) / 1000.0;
    CpuMeter.Snapshot cpuEnd = cpu.now();
    double jvmCpuMsPerRun = (cpuEnd.jvm() - cpuStart.jvm()) * 1000 / r;
    double jitCpuMsPerRun = (cpuEnd.jit() - cpuStart.jit()) * 1000 / r;
    System.out.println("    runs " + cpu.since(cpuStart));
    int[] outcome = outcomes(ids);

    spawn(warmup, c);
    CpuMeter.Snapshot spawnCpu = cpu.now();
    long spawnStart = System.nanoTime();
    spawn(r, c);
    double spawnSeconds = (System.nanoTime() - spawnStart) / 1e9;
    System.out.println("    spawn " + cpu.since(spawnCpu));
    return new Result(
        r,
        c,
        seconds,
        r / seconds,
        postSeconds,
        outcome[0],
        outcome[1],
        spawnSeconds,
        r / spawnSeconds,
        jvmCpuMsPerRun,
        jitCpuMsPerRun);
  }

  /** Runs (and spawns) before the measured ones: as given, else R/10 between 5 and 20. */
  static int warmup(Settings settings) {
    int r = settings.runs();
    return settings.runWarmup() > 0 ? settings.runWarmup() : Math.max(5, Math.min(20, r / 10));
  }

  private List<Long> startRuns(int count, int clients) throws Exception {
    AtomicInteger left = new AtomicInteger(count);
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<List<Long>>> parts = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        parts.add(
            pool.submit(
                () -> {
                  List<Long> mine = new ArrayList<>();
                  while (left.getAndDecrement() > 0) {
                    JsonObject run =
                        api.post("/runs", new JsonObject().put("template", "bench-echo"), 202);
                    mine.add(run.getLong("id"));
                  }
                  return mine;
                }));
      }
      List<Long> ids = new ArrayList<>(count);
      for (Future<List<Long>> f : parts) {
        ids.addAll(f.get());
      }
      return ids;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Polls until every run has finished; returns the latest finished_at (the service's clock). */
  private Instant awaitFinished(List<Long> ids, long timeoutMs) throws Exception {
    long min = ids.stream().mapToLong(Long::longValue).min().orElseThrow();
    long max = ids.stream().mapToLong(Long::longValue).max().orElseThrow();
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (true) {
      try (PreparedStatement st =
          db.prepareStatement(
              "SELECT COUNT(*), COUNT(finished_at), MAX(finished_at) AS last FROM run"
                  + " WHERE id BETWEEN ? AND ? AND template_name = 'bench-echo'")) {
        st.setLong(1, min);
        st.setLong(2, max);
        try (ResultSet rs = st.executeQuery()) {
          rs.next();
          if (rs.getLong(1) >= ids.size() && rs.getLong(2) == rs.getLong(1)) {
            return Sql.instantOf(rs, "last");
          }
          if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException(
                rs.getLong(2) + " of " + ids.size() + " runs finished after " + timeoutMs + " ms");
          }
        }
      }
      Thread.sleep(10);
    }
  }

  /** {succeeded, anything else} among the runs. */
  private int[] outcomes(List<Long> ids) throws Exception {
    long min = ids.stream().mapToLong(Long::longValue).min().orElseThrow();
    long max = ids.stream().mapToLong(Long::longValue).max().orElseThrow();
    int[] out = new int[2];
    try (PreparedStatement st =
        db.prepareStatement(
            "SELECT status, COUNT(*) FROM run WHERE id BETWEEN ? AND ?"
                + " AND template_name = 'bench-echo' GROUP BY status")) {
      st.setLong(1, min);
      st.setLong(2, max);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          if ("SUCCEEDED".equals(rs.getString(1))) {
            out[0] += rs.getInt(2);
          } else {
            out[1] += rs.getInt(2);
            System.out.printf("  runs: %d ended %s%n", rs.getInt(2), rs.getString(1));
          }
        }
      }
    }
    return out;
  }

  private static void spawn(int count, int threads) throws Exception {
    AtomicInteger left = new AtomicInteger(count);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Void>> parts = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        parts.add(
            pool.submit(
                () -> {
                  while (left.getAndDecrement() > 0) {
                    Process p =
                        new ProcessBuilder("sh", "-c", "echo hi").redirectErrorStream(true).start();
                    try (InputStream out = p.getInputStream()) {
                      out.readAllBytes();
                    }
                    if (p.waitFor() != 0) {
                      throw new IllegalStateException("sh -c 'echo hi' failed");
                    }
                  }
                  return null;
                }));
      }
      for (Future<Void> f : parts) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
