package io.nightshift.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * (d) N jobs {@code {"everySeconds": 1}} (concurrency allow) of a one-step {@code true} template,
 * created through {@code POST /jobs}; after a warm-up, a window of D seconds is measured from the
 * {@code job_fire} rows ({@link FireStats}), plus the node's duplicate counter and the runs those
 * fires started. Then the jobs are paused through the API, so the baseline that follows has the
 * machine to itself.
 */
final class FiresBench {
  static final String TEMPLATE = "bench-fire";

  record Result(
      boolean claimOnly,
      FireStats stats,
      Map<String, Long> outcomes,
      double duplicatesMetric,
      long runsCreated,
      long runsSucceeded,
      long runsUnfinished,
      Map<String, Long> runStatuses,
      double runsDrainedSeconds,
      double createSeconds,
      double windowCompleteSeconds,
      double runsCompletedPerSecond) {}

  private final Settings settings;
  private final Api api;
  private final Connection db;
  private final CpuMeter cpu;

  FiresBench(Settings settings, Api api, Connection db, CpuMeter cpu) {
    this.settings = settings;
    this.api = api;
    this.db = db;
    this.cpu = cpu;
  }

  Result run() throws Exception {
    int n = settings.jobs();
    int d = settings.seconds();
    boolean claimOnly = "claim".equals(settings.fireMode());
    JsonObject step =
        claimOnly
            ? new JsonObject()
                .put("name", "gate")
                .put("kind", "approval")
                .put("approvers", new JsonArray().add("admin"))
            : new JsonObject().put("name", "noop").put("kind", "command").put("command", "true");
    api.post(
        "/templates",
        new JsonObject()
            .put("name", TEMPLATE)
            .put("description", claimOnly ? "waits for an approval" : "does nothing")
            .put("steps", new JsonArray().add(step)),
        201);

    long createStart = System.nanoTime();
    forEachJob(
        n,
        name ->
            api.post(
                "/jobs",
                new JsonObject()
                    .put("name", name)
                    .put("template", TEMPLATE)
                    .put("schedule", new JsonObject().put("everySeconds", 1))
                    .put("concurrency", claimOnly ? "forbid" : "allow"),
                201));
    double createSeconds = (System.nanoTime() - createStart) / 1e9;
    System.out.printf(
        Locale.ROOT,
        "    %d jobs created through POST /jobs in %.1f s; warm-up %d s%n",
        n,
        createSeconds,
        settings.warmup());

    // The window opens on a whole second (every job fires on whole seconds) after the warm-up.
    long startMs = (System.currentTimeMillis() + settings.warmup() * 1000L) / 1000 * 1000 + 1000;
    long endMs = startMs + d * 1000L;
    sleepUntil(startMs);
    CpuMeter.Snapshot cpuStart = cpu.now();
    sleepUntil(endMs);
    System.out.println("    window " + cpu.since(cpuStart));

    // Late fires of the window still count (as lag): wait until every job has moved past it.
    double complete = awaitWindow(n, startMs, endMs, 90_000);
    forEachJob(n, name -> api.post("/jobs/" + name + "/pause", new JsonObject(), 200));
    double duplicatesMetric = metric(api.metrics(), "nightshift_fires_duplicates_total");

    List<FireStats.Fire> fires = new ArrayList<>();
    Map<String, Long> outcomes = new TreeMap<>();
    try (PreparedStatement st =
        db.prepareStatement(
            "SELECT job_id, scheduled_at, fired_at, outcome FROM job_fire"
                + " WHERE (scheduled_at >= ? AND scheduled_at < ?)"
                + " OR (fired_at >= ? AND fired_at < ?)")) {
      st.setObject(1, utc(startMs));
      st.setObject(2, utc(endMs));
      st.setObject(3, utc(startMs));
      st.setObject(4, utc(endMs));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          long scheduled = Sql.instantOf(rs, "scheduled_at").toEpochMilli();
          String outcome = rs.getString("outcome");
          boolean acted = !"misfired".equals(outcome) && !"failed_to_start".equals(outcome);
          fires.add(
              new FireStats.Fire(
                  rs.getLong("job_id"),
                  scheduled,
                  Sql.instantOf(rs, "fired_at").toEpochMilli(),
                  acted));
          if (scheduled >= startMs && scheduled < endMs) {
            outcomes.merge(outcome, 1L, Long::sum);
          }
        }
      }
    }
    FireStats stats = FireStats.of(n, startMs, d, fires);

    // The runs of the window's fires: they may finish after the window; give them a minute.
    long deadline = System.currentTimeMillis() + (claimOnly ? 0 : 60_000);
    Map<String, Long> statuses;
    long created;
    long unfinished;
    Instant lastFinished;
    while (true) {
      statuses = new TreeMap<>();
      created = 0;
      unfinished = 0;
      lastFinished = null;
      try (PreparedStatement st =
          db.prepareStatement(
              "SELECT r.status, COUNT(*) AS n, SUM(r.finished_at IS NULL) AS open,"
                  + " MAX(r.finished_at) AS last FROM job_fire f JOIN run r ON r.id = f.run_id"
                  + " WHERE f.scheduled_at >= ? AND f.scheduled_at < ?"
                  + " AND f.outcome IN ('started', 'queued') GROUP BY r.status")) {
        st.setObject(1, utc(startMs));
        st.setObject(2, utc(endMs));
        try (ResultSet rs = st.executeQuery()) {
          while (rs.next()) {
            statuses.put(rs.getString("status"), rs.getLong("n"));
            created += rs.getLong("n");
            unfinished += rs.getLong("open");
            Instant last = Sql.instantOf(rs, "last");
            if (last != null && (lastFinished == null || last.isAfter(lastFinished))) {
              lastFinished = last;
            }
          }
        }
      }
      if (unfinished == 0 || System.currentTimeMillis() > deadline) {
        break;
      }
      Thread.sleep(500);
    }
    // The engine's pace under the fires: every run of the benchmark's jobs (warm-up fires too:
    // they are ahead in the queue) that ended from the window's start until now.
    long observedMs = System.currentTimeMillis() - startMs;
    long ended =
        Sql.longOf(
            db,
            "SELECT COUNT(*) FROM run WHERE job_name LIKE 'bench-fire-%' AND finished_at >= ?",
            utc(startMs));
    return new Result(
        claimOnly,
        stats,
        outcomes,
        duplicatesMetric,
        created,
        statuses.getOrDefault("SUCCEEDED", 0L),
        unfinished,
        statuses,
        lastFinished == null ? -1 : (lastFinished.toEpochMilli() - endMs) / 1000.0,
        createSeconds,
        complete,
        ended * 1000.0 / observedMs);
  }

  /**
   * Polls until the window holds a fire for every job and second, or every job has a fire scheduled
   * at or after its end (Quartz fires each trigger in order, so nothing of the window comes later),
   * or the timeout. Returns seconds after the window's end.
   */
  private double awaitWindow(int n, long startMs, long endMs, long timeoutMs) throws Exception {
    long expected = (long) n * settings.seconds();
    while (true) {
      long inWindow =
          Sql.longOf(
              db,
              "SELECT COUNT(*) FROM job_fire WHERE scheduled_at >= ? AND scheduled_at < ?",
              utc(startMs),
              utc(endMs));
      long past =
          Sql.longOf(
              db,
              "SELECT COUNT(DISTINCT job_id) FROM job_fire WHERE scheduled_at >= ?",
              utc(endMs));
      long now = System.currentTimeMillis();
      if (inWindow >= expected || past >= n || now > endMs + timeoutMs) {
        // A fire in flight at this moment is claimed within its transaction: a short grace.
        Thread.sleep(inWindow >= expected ? 0 : 2_000);
        return (now - endMs) / 1000.0;
      }
      Thread.sleep(500);
    }
  }

  /** {@code work} for every job name, from as many threads as the benchmark's clients. */
  private void forEachJob(int n, java.util.function.Consumer<String> work) throws Exception {
    AtomicInteger next = new AtomicInteger();
    int clients = settings.concurrency();
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<Void>> parts = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        parts.add(
            pool.submit(
                () -> {
                  for (int j = next.getAndIncrement(); j < n; j = next.getAndIncrement()) {
                    work.accept(String.format(Locale.ROOT, "bench-fire-%05d", j));
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

  /** The sum of a Prometheus counter's samples (all label sets); 0 when absent. */
  static double metric(String scrape, String name) {
    double sum = 0;
    for (String line : scrape.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  static LocalDateTime utc(long epochMs) {
    return LocalDateTime.ofInstant(Instant.ofEpochMilli(epochMs), ZoneOffset.UTC);
  }

  static void sleepUntil(long epochMs) throws InterruptedException {
    long wait = epochMs - System.currentTimeMillis();
    if (wait > 0) {
      Thread.sleep(wait);
    }
  }
}
