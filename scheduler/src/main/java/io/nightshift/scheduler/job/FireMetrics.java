package io.nightshift.scheduler.job;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.function.IntSupplier;

/** What a node's fires show on {@code /metrics}: outcomes, duplicates, lag, misses, backlog. */
final class FireMetrics {
  private final MeterRegistry metrics;
  private final Counter duplicates;
  private final Timer lag;

  FireMetrics(MeterRegistry metrics) {
    this.metrics = metrics;
    this.duplicates =
        Counter.builder("nightshift.fires.duplicates")
            .description("fires another node had already claimed")
            .register(metrics);
    this.lag =
        Timer.builder("nightshift.fire.lag")
            .description("claim time minus scheduled fire time")
            .publishPercentileHistogram()
            .register(metrics);
    // Every outcome shows from the start (at 0), so rate() and alerts see the series.
    for (FireOutcome outcome : FireOutcome.values()) {
      fires(outcome);
    }
  }

  /** A fire another node had claimed. */
  void duplicate() {
    duplicates.increment();
  }

  /** A fire this node claimed {@code late} after its time, and what it did about it. */
  void claimed(FireOutcome outcome, Duration late) {
    lag.record(late.isNegative() ? Duration.ZERO : late);
    count(outcome);
  }

  void count(FireOutcome outcome) {
    if (outcome != null) {
      fires(outcome).increment();
    }
  }

  /**
   * Counts {@code fires} that job {@code job} missed (recorded as misfired, or stood for by one
   * catch-up run); 0 shows the job's series before its first miss.
   */
  void missed(String job, int fires) {
    Counter.builder("nightshift.misfires")
        .description(
            "scheduled fires a job missed (no node running, paused, or fired over 60 s late),"
                + " whatever its misfire policy did about them")
        .tag("job", job)
        .register(metrics)
        .increment(fires);
  }

  /**
   * Counts {@code fires} of {@code job} that failed to start (no run: a value its template
   * requires, an unreadable template or key), so an alert can name the job; 0 shows the series
   * before its first.
   */
  void failedToStart(String job, int fires) {
    Counter.builder("nightshift.job.fires.failed")
        .description(
            "fires of a job that failed to start (no run: a value its template requires, a"
                + " template or key this node cannot read)")
        .tag("job", job)
        .register(metrics)
        .increment(fires);
  }

  /**
   * Shows the job's series at 0 before its first miss or failed start, so that an alert on their
   * increase sees the first one.
   */
  void track(String job) {
    missed(job, 0);
    failedToStart(job, 0);
  }

  /** A deleted job's series go with it. */
  void forget(String job) {
    for (String name : new String[] {"nightshift.misfires", "nightshift.job.fires.failed"}) {
      metrics.find(name).tag("job", job).meters().forEach(metrics::remove);
    }
  }

  /** Shows how many fires wait for a claiming thread (a backlog after an outage, a slow store). */
  void waiting(IntSupplier waiting) {
    Gauge.builder("nightshift.fires.waiting", waiting::getAsInt)
        .description("fires Quartz handed over that this node has not claimed or recorded yet")
        .register(metrics);
  }

  private Counter fires(FireOutcome outcome) {
    return Counter.builder("nightshift.fires")
        .description("fires claimed by this node, by outcome")
        .tag("outcome", outcome.json())
        .register(metrics);
  }
}
