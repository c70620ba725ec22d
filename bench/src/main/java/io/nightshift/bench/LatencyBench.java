package io.nightshift.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;

/**
 * (c) An SSE client follows a run whose step prints {@code date +%s%N} every ~20 ms; latency = the
 * client's receive time minus the time in the line (same machine clock).
 */
final class LatencyBench {
  record Result(
      int expected,
      int received,
      int replayed,
      double p50Ms,
      double p99Ms,
      double maxMs,
      String endStatus) {}

  private final Settings settings;
  private final Api api;
  private final CpuMeter cpu;

  LatencyBench(Settings settings, Api api, CpuMeter cpu) {
    this.settings = settings;
    this.api = api;
    this.cpu = cpu;
  }

  Result run() throws Exception {
    int lines = settings.liveLines();
    String pause = String.format(java.util.Locale.ROOT, "%.3f", settings.liveIntervalMs() / 1000.0);
    // The first second lets the client connect, so every line is measured live (not replayed).
    String command =
        "sleep 1; i=0; while [ $i -lt "
            + lines
            + " ]; do date +%s%N; sleep "
            + pause
            + "; i=$((i+1)); done";
    api.post(
        "/templates",
        new JsonObject()
            .put("name", "bench-live")
            .put("description", "prints the time every few ms")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "tick")
                            .put("kind", "command")
                            .put("command", command))),
        201);

    CpuMeter.Snapshot cpuStart = cpu.now();
    long connected = 0;
    JsonObject run = api.post("/runs", new JsonObject().put("template", "bench-live"), 202);
    long runId = run.getLong("id");
    long[] latencies = new long[lines + 16];
    int received = 0;
    int replayed = 0;
    String endStatus = "no end event";
    try (InputStream body = api.stream("/runs/" + runId + "/logs/stream");
        BufferedReader in =
            new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8), 1 << 16)) {
      connected = epochNanos();
      String event = null;
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("event: ")) {
          event = line.substring(7);
        } else if (line.startsWith("data: ")) {
          long now = epochNanos();
          JsonObject data = new JsonObject(line.substring(6));
          if ("log".equals(event) && "stdout".equals(data.getString("stream"))) {
            long printed = Long.parseLong(data.getString("line").trim());
            if (printed < connected) {
              replayed++; // printed before the client was connected: not a live measurement
            } else if (received < latencies.length) {
              latencies[received++] = now - printed;
            }
          } else if ("end".equals(event)) {
            endStatus = data.getString("status");
            break;
          }
        } else if (line.isEmpty()) {
          event = null;
        }
      }
    }
    System.out.println("    live " + cpu.since(cpuStart));
    long[] sorted = Arrays.copyOf(latencies, received);
    Arrays.sort(sorted);
    return new Result(
        lines,
        received,
        replayed,
        percentile(sorted, 50),
        percentile(sorted, 99),
        received == 0 ? Double.NaN : sorted[received - 1] / 1e6,
        endStatus);
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
  }

  private static long epochNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }
}
