package io.nightshift.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The table of goals printed at the end of a benchmark: each measured figure beside its target, met
 * or not (the Quartz baselines beside them for comparison).
 */
final class GoalsTable {
  /**
   * The scheduling goal: fires per second sustained (with 0 missed, 0 duplicates, p99 < 500 ms).
   */
  static final int FIRES_GOAL = 500;

  private GoalsTable() {}

  /** Prints the goals table; true when every measured goal is met. */
  static boolean print(
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
                "%.1f / %.1f = %.2f (JVM CPU %.1f ms/run, JIT %.1f)",
                runs.runsPerSecond(),
                runs.spawnsPerSecond(),
                runs.ratio(),
                runs.jvmCpuMsPerRun(),
                runs.jitCpuMsPerRun()),
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
      // The goal: the fires' runs complete at the rate (b) allows (the same engine, the
      // same runs); compared when (b) ran in the same invocation.
      boolean pace =
          fires.claimOnly()
              || runs == null
              || fires.runsCompletedPerSecond() >= 0.9 * runs.runsPerSecond();
      if (!fires.claimOnly()) {
        rows.add(
            new String[] {
              "runs of the fires completed/s vs (b)",
              runs == null
                  ? String.format(
                      Locale.ROOT,
                      "%.1f ((b) not run: parts=runs,fires)",
                      fires.runsCompletedPerSecond())
                  : String.format(
                      Locale.ROOT,
                      "%.1f / %.1f = %.2f",
                      fires.runsCompletedPerSecond(),
                      runs.runsPerSecond(),
                      fires.runsCompletedPerSecond() / runs.runsPerSecond()),
              ">= 0.9",
              runs == null ? "n/a" : pace ? "met" : "NOT MET"
            });
      }
      all &= rate && exact && lag && pace;
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
}
