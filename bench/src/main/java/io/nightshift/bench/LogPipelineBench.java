package io.nightshift.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

/**
 * (a) One step prints N lines; end-to-end rate = N / (run start until N rows of that step are in
 * {@code log_line}), against the raw rate of multi-row INSERTs of 1000 equivalent rows into a
 * scratch copy of the table (autocommit per statement).
 */
final class LogPipelineBench {
  private static final int ROWS_PER_STATEMENT = 1000;
  private static final long POLL_MS = 100;

  record Result(
      long lines,
      double seconds,
      double linesPerSecond,
      double producerSeconds,
      double rawSeconds,
      double rawPerSecond,
      long stored,
      long lost,
      long storedDuplicates,
      long contentMismatch,
      String runStatus,
      long liveMessages,
      long liveDistinct,
      long liveDuplicates,
      boolean liveChecked) {
    double ratio() {
      return linesPerSecond / rawPerSecond;
    }
  }

  private final Settings settings;
  private final Api api;
  private final Connection db;
  private final long expectedRunId;
  private final CpuMeter cpu;

  LogPipelineBench(Settings settings, Api api, Connection db, long expectedRunId, CpuMeter cpu) {
    this.settings = settings;
    this.api = api;
    this.db = db;
    this.expectedRunId = expectedRunId;
    this.cpu = cpu;
  }

  Result run() throws Exception {
    long n = settings.lines();
    api.post(
        "/templates",
        new JsonObject()
            .put("name", "bench-lines")
            .put("description", "prints N lines")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "print")
                            .put("kind", "command")
                            .put("command", "seq 1 " + n)
                            .put("timeoutSeconds", 3600))),
        201);

    // Subscribed before the run exists, so the live count starts at the first line.
    LiveChannelCounter live =
        new LiveChannelCounter(settings.redisUrl(), "nightshift:log:" + expectedRunId);
    long runId;
    long stepRunId;
    CpuMeter.Snapshot cpuStart = cpu.now();
    long start = System.nanoTime();
    long end;
    try {
      JsonObject run = api.post("/runs", new JsonObject().put("template", "bench-lines"), 202);
      runId = run.getLong("id");
      stepRunId = Sql.longOf(db, "SELECT id FROM run_step WHERE run_id = ?", runId);
      end = awaitStored(stepRunId, n, start);
      System.out.println("    pipeline " + cpu.since(cpuStart));
      awaitRunEnd(runId, 60_000);
      if (runId == expectedRunId) {
        live.awaitSettled(n, 3_000);
      }
    } finally {
      live.close();
    }
    double seconds = (end - start) / 1e9;

    long stored;
    long distinctSeq;
    long contentMismatch;
    try (PreparedStatement st =
        db.prepareStatement(
            "SELECT COUNT(*), COUNT(DISTINCT seq),"
                + " SUM(CASE WHEN CAST(line AS UNSIGNED) = seq THEN 0 ELSE 1 END)"
                + " FROM log_line WHERE step_run_id = ? AND seq BETWEEN 1 AND ?")) {
      st.setLong(1, stepRunId);
      st.setLong(2, n);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        stored = rs.getLong(1);
        distinctSeq = rs.getLong(2);
        contentMismatch = rs.getLong(3);
      }
    }
    String status;
    Instant stepStarted;
    Instant stepFinished;
    try (PreparedStatement st =
        db.prepareStatement(
            "SELECT r.status, s.started_at, s.finished_at FROM run r JOIN run_step s"
                + " ON s.run_id = r.id WHERE s.id = ?")) {
      st.setLong(1, stepRunId);
      try (ResultSet rs = st.executeQuery()) {
        rs.next();
        status = rs.getString(1);
        stepStarted = Sql.instantOf(rs, "started_at");
        stepFinished = Sql.instantOf(rs, "finished_at");
      }
    }
    double producer =
        stepStarted == null || stepFinished == null
            ? Double.NaN
            : (stepFinished.toEpochMilli() - stepStarted.toEpochMilli()) / 1000.0;

    CpuMeter.Snapshot rawStart = cpu.now();
    double rawSeconds = rawInsert(n, runId + 1_000_000);
    System.out.println("    raw insert " + cpu.since(rawStart));
    boolean liveChecked = runId == expectedRunId;
    return new Result(
        n,
        seconds,
        n / seconds,
        producer,
        rawSeconds,
        n / rawSeconds,
        stored,
        n - distinctSeq,
        stored - distinctSeq,
        contentMismatch,
        status,
        live.messages(),
        live.distinct(),
        live.duplicates(),
        liveChecked);
  }

  /**
   * Polls until N rows of the step are stored: MAX(seq) on the primary key is cheap, COUNT(*) is
   * asked only once the last line is there. Returns the nanoTime of the poll that saw all N. Gives
   * up when the count has not moved for 20 s (lines lost: reported by the caller).
   */
  private long awaitStored(long stepRunId, long n, long start) throws Exception {
    long lastProgress = System.nanoTime();
    long lastMax = -1;
    long lastCount = -1;
    long nextReport = start + 10_000_000_000L;
    while (true) {
      long max = Sql.longOf(db, "SELECT MAX(seq) FROM log_line WHERE step_run_id = ?", stepRunId);
      long now = System.nanoTime();
      if (max >= n) {
        long count =
            Sql.longOf(db, "SELECT COUNT(*) FROM log_line WHERE step_run_id = ?", stepRunId);
        if (count >= n) {
          return now;
        }
        if (count != lastCount) {
          lastCount = count;
          lastProgress = now;
        }
      }
      if (max != lastMax) {
        lastMax = max;
        lastProgress = now;
      }
      if (now - lastProgress > 20_000_000_000L) {
        System.out.printf(
            "  log pipeline: stuck at max seq %d (count %d) for 20 s, giving up%n", max, lastCount);
        return now;
      }
      if (now > nextReport) {
        System.out.printf(
            "  log pipeline: %.0f s, %,d lines stored so far%n", (now - start) / 1e9, max);
        nextReport += 10_000_000_000L;
      }
      Thread.sleep(POLL_MS);
    }
  }

  private void awaitRunEnd(long runId, long timeoutMs) throws Exception {
    long deadline = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < deadline) {
      try (PreparedStatement st = db.prepareStatement("SELECT finished_at FROM run WHERE id = ?")) {
        st.setLong(1, runId);
        try (ResultSet rs = st.executeQuery()) {
          if (rs.next() && rs.getObject(1) != null) {
            return;
          }
        }
      }
      Thread.sleep(POLL_MS);
    }
  }

  /**
   * The raw store rate: the same number of equivalent rows (same columns, widths and indexes) in
   * multi-row INSERTs of 1000 rows, each statement its own transaction, into an empty scratch copy
   * of {@code log_line} (as the pipeline started on an empty table).
   */
  private double rawInsert(long n, long runId) throws Exception {
    Sql.execute(db, "DROP TABLE IF EXISTS log_line_bench_raw");
    Sql.execute(db, "CREATE TABLE log_line_bench_raw LIKE log_line");
    try {
      String tuple = "(?,?,?,?,?,?,?)";
      StringBuilder sql =
          new StringBuilder(
              "INSERT INTO log_line_bench_raw (run_id, step_run_id, seq, attempt, stream, ts, line)"
                  + " VALUES ");
      for (int i = 0; i < ROWS_PER_STATEMENT; i++) {
        sql.append(i == 0 ? "" : ",").append(tuple);
      }
      long stepRunId = runId;
      long start = System.nanoTime();
      try (PreparedStatement full = db.prepareStatement(sql.toString())) {
        long seq = 1;
        while (seq <= n) {
          int rows = (int) Math.min(ROWS_PER_STATEMENT, n - seq + 1);
          PreparedStatement st = full;
          if (rows < ROWS_PER_STATEMENT) {
            StringBuilder tail =
                new StringBuilder(
                    "INSERT INTO log_line_bench_raw (run_id, step_run_id, seq, attempt, stream, ts,"
                        + " line) VALUES ");
            for (int i = 0; i < rows; i++) {
              tail.append(i == 0 ? "" : ",").append(tuple);
            }
            st = db.prepareStatement(tail.toString());
          }
          LocalDateTime ts =
              LocalDateTime.ofInstant(Instant.now().truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC);
          int p = 1;
          for (int i = 0; i < rows; i++, seq++) {
            st.setLong(p++, runId);
            st.setLong(p++, stepRunId);
            st.setLong(p++, seq);
            st.setInt(p++, 1);
            st.setString(p++, "stdout");
            st.setObject(p++, ts);
            st.setString(p++, Long.toString(seq));
          }
          st.executeUpdate();
          if (st != full) {
            st.close();
          }
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long rows = Sql.longOf(db, "SELECT COUNT(*) FROM log_line_bench_raw");
      if (rows != n) {
        throw new IllegalStateException("raw insert stored " + rows + " rows, expected " + n);
      }
      return seconds;
    } finally {
      Sql.execute(db, "DROP TABLE IF EXISTS log_line_bench_raw");
    }
  }
}
