package io.nightshift.bench;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The fires of one scheduler over the measured window [start, start + seconds), computed the same
 * way for Nightshift (rows of {@code job_fire}) and for raw Quartz (what its no-op job recorded):
 *
 * <ul>
 *   <li>fires/s sustained: fires whose claim time (Nightshift {@code fired_at}; Quartz: when the
 *       job's {@code execute} began) falls in the window, divided by its length;
 *   <li>expected: jobs x seconds (every job fires at every whole second: the schedules are aligned
 *       to the epoch second); missed: expected scheduled times in the window with no fire that
 *       acted (absent, or recorded as misfired or failed to start);
 *   <li>duplicates: fires beyond the first for the same (job, scheduled time);
 *   <li>lag: claim time minus scheduled time of the window's fires (negative counted as 0).
 * </ul>
 */
record FireStats(
    int jobs,
    int seconds,
    long expected,
    long acted,
    long missed,
    long duplicates,
    long claimedInWindow,
    double firesPerSecond,
    long p50Ms,
    long p99Ms,
    long maxMs,
    double[] ratePerSlice,
    long[] p99PerSlice) {

  static final int SLICE_SECONDS = 10;

  /**
   * One fire as recorded.
   *
   * @param acted false for a record that stands for a fire that did not happen (misfired, failed to
   *     start)
   */
  record Fire(long job, long scheduledMs, long firedMs, boolean acted) {}

  static FireStats of(int jobs, long startMs, int seconds, List<Fire> fires) {
    long endMs = startMs + seconds * 1000L;
    int slices = (seconds + SLICE_SECONDS - 1) / SLICE_SECONDS;
    long[] claimedPerSlice = new long[slices];
    long claimed = 0;
    Map<Integer, List<Long>> lagsPerSlice = new HashMap<>();
    Set<String> seen = new HashSet<>();
    long duplicates = 0;
    long acted = 0;
    long[] lags = new long[fires.size()];
    int n = 0;
    for (Fire f : fires) {
      if (f.acted() && f.firedMs() >= startMs && f.firedMs() < endMs) {
        claimed++;
        claimedPerSlice[(int) ((f.firedMs() - startMs) / 1000 / SLICE_SECONDS)]++;
      }
      if (f.scheduledMs() < startMs || f.scheduledMs() >= endMs) {
        continue;
      }
      if (!seen.add(f.job() + "@" + f.scheduledMs())) {
        duplicates++;
        continue;
      }
      if (!f.acted()) {
        continue;
      }
      acted++;
      long lag = Math.max(0, f.firedMs() - f.scheduledMs());
      lags[n++] = lag;
      lagsPerSlice
          .computeIfAbsent(
              (int) ((f.scheduledMs() - startMs) / 1000 / SLICE_SECONDS),
              k -> new java.util.ArrayList<>())
          .add(lag);
    }
    long[] sorted = Arrays.copyOf(lags, n);
    Arrays.sort(sorted);
    double[] rate = new double[slices];
    long[] p99 = new long[slices];
    for (int i = 0; i < slices; i++) {
      int len = Math.min(SLICE_SECONDS, seconds - i * SLICE_SECONDS);
      rate[i] = claimedPerSlice[i] / (double) len;
      long[] slice =
          lagsPerSlice.getOrDefault(i, List.of()).stream().mapToLong(Long::longValue).toArray();
      Arrays.sort(slice);
      p99[i] = percentile(slice, 0.99);
    }
    long expected = (long) jobs * seconds;
    return new FireStats(
        jobs,
        seconds,
        expected,
        acted,
        expected - acted,
        duplicates,
        claimed,
        claimed / (double) seconds,
        percentile(sorted, 0.50),
        percentile(sorted, 0.99),
        n == 0 ? -1 : sorted[n - 1],
        rate,
        p99);
  }

  /** Nearest-rank percentile of sorted values; -1 when there are none. */
  static long percentile(long[] sorted, double q) {
    if (sorted.length == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(q * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  /** The lines every scheduler prints, indented by four spaces. */
  String describe() {
    return String.format(
            Locale.ROOT,
            "    fires/s %.1f  (%,d claimed in the %d s window; %,d of %,d expected fires of the"
                + " window acted: missed %,d, duplicates %d)%n",
            firesPerSecond,
            claimedInWindow,
            seconds,
            acted,
            expected,
            missed,
            duplicates)
        + String.format(
            Locale.ROOT, "    lag p50 %d ms  p99 %d ms  max %d ms%n", p50Ms, p99Ms, maxMs)
        + String.format(
            Locale.ROOT,
            "    per %d s of the window: fires/s %s; lag p99 ms %s",
            SLICE_SECONDS,
            IntStream.range(0, ratePerSlice.length)
                .mapToObj(i -> String.format(Locale.ROOT, "%.0f", ratePerSlice[i]))
                .collect(Collectors.joining(" ")),
            Arrays.stream(p99PerSlice).mapToObj(String::valueOf).collect(Collectors.joining(" ")));
  }
}
