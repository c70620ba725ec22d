package io.nightshift.bench;

import java.util.Locale;

/** Prints the figures each part of the benchmark measured, under the part's heading. */
final class Figures {
  private Figures() {}

  static void print(LogPipelineBench.Result r) {
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

  static void print(RunsBench.Result r) {
    System.out.printf(
        Locale.ROOT,
        "    nightshift  %8.1f runs/s    (%d runs in %.2f s, POSTs took %.2f s; %d SUCCEEDED, %d"
            + " other; JVM CPU %.1f ms per run, of which the JIT compiler %.1f ms)%n",
        r.runsPerSecond(),
        r.runs(),
        r.seconds(),
        r.postSeconds(),
        r.succeeded(),
        r.otherwise(),
        r.jvmCpuMsPerRun(),
        r.jitCpuMsPerRun());
    System.out.printf(
        Locale.ROOT,
        "    spawn       %8.1f /s        (%d x sh -c 'echo hi' from %d threads in %.2f s)%n",
        r.spawnsPerSecond(),
        r.runs(),
        r.concurrency(),
        r.spawnSeconds());
    System.out.printf(Locale.ROOT, "    ratio       %8.2f%n", r.ratio());
  }

  static void print(LatencyBench.Result r) {
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

  static void print(FiresBench.Result r) {
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
    System.out.printf(
        Locale.ROOT,
        "    runs of the benchmark's jobs ended from the window's start on: %.1f/s%n",
        r.runsCompletedPerSecond());
  }
}
