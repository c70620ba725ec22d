package io.nightshift.scheduler.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.nightshift.executor.DaemonThreads;
import io.nightshift.scheduler.store.Sql;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges read from the store on a timer (and soon after a relevant event), so a scrape never waits
 * for the database: pending approvals, the oldest one's request time, and each existing job's last
 * success. Every node shows the same store-wide values (use {@code max} across instances). A
 * deleted job's series disappears at the next refresh.
 */
public final class StoreGauges implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StoreGauges.class);

  private final MetricsStore store;
  private final MultiGauge lastSuccess;
  private final AtomicLong pending = new AtomicLong();
  private final AtomicLong oldestPendingMillis = new AtomicLong(Long.MIN_VALUE);
  private final Map<String, Instant> lastSuccessByJob = new ConcurrentHashMap<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(new DaemonThreads("nightshift-store-gauges-"));

  public StoreGauges(MetricsStore store, MeterRegistry registry) {
    this.store = store;
    this.lastSuccess =
        MultiGauge.builder("nightshift.job.last.success.timestamp")
            .description(
                "when the latest succeeded run of each job ended (Unix time); absent before the"
                    + " first success")
            .baseUnit("seconds")
            .register(registry);
    Gauge.builder("nightshift.approvals.pending", pending, AtomicLong::get)
        .description("approvals waiting for a decision")
        .register(registry);
    Gauge.builder(
            "nightshift.approval.oldest.pending.timestamp",
            oldestPendingMillis,
            v -> v.get() == Long.MIN_VALUE ? Double.NaN : v.get() / 1000.0)
        .description("when the oldest pending approval was requested (Unix time); NaN when none")
        .baseUnit("seconds")
        .register(registry);
  }

  /** Refreshes now and then every {@code period}. */
  public StoreGauges start(Duration period) {
    timer.scheduleWithFixedDelay(this::refresh, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** Asks for a refresh shortly (approvals changed); several asks make one refresh. */
  public void refreshSoon() {
    if (scheduled.compareAndSet(false, true)) {
      timer.schedule(
          () -> {
            scheduled.set(false);
            refresh();
          },
          100,
          TimeUnit.MILLISECONDS);
    }
  }

  /** A job's run succeeded on this node: show it before the next refresh. */
  void succeeded(String job, Instant finishedAt) {
    boolean known = lastSuccessByJob.containsKey(job);
    lastSuccessByJob.merge(job, finishedAt, (a, b) -> a.isAfter(b) ? a : b);
    if (!known) {
      // A job's row reads its value from the map: only a new job changes the rows.
      publishLastSuccess();
    }
  }

  /**
   * Reads both figures, then shows them, the approvals last: a scrape that shows a refresh's
   * approvals shows its jobs' last successes too (the approvals were shown while the jobs' figures
   * were still being read before, and a scrape in between missed a job's first success).
   */
  private void refresh() {
    try {
      MetricsStore.PendingApprovals approvals = store.pendingApprovals();
      Map<String, Instant> stored = store.lastSuccessByJob();
      lastSuccessByJob.keySet().retainAll(stored.keySet());
      stored.forEach(
          (job, at) -> {
            if (at != null) {
              lastSuccessByJob.merge(job, at, (a, b) -> a.isAfter(b) ? a : b);
            }
          });
      publishLastSuccess();
      oldestPendingMillis.set(
          approvals.oldestRequestedAt() == null
              ? Long.MIN_VALUE
              : approvals.oldestRequestedAt().toEpochMilli());
      pending.set(approvals.count());
    } catch (RuntimeException e) {
      log.warn(
          "metrics from the store not refreshed: {}", e.toString(), Sql.traceUnlessUnavailable(e));
    }
  }

  /** One row per job, reading the job's latest success from the map at each scrape. */
  private synchronized void publishLastSuccess() {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (String job : lastSuccessByJob.keySet()) {
      rows.add(
          MultiGauge.Row.of(
              Tags.of("job", job), lastSuccessByJob, byJob -> epochSeconds(byJob.get(job))));
    }
    lastSuccess.register(rows, true);
  }

  private static double epochSeconds(Instant at) {
    return at == null ? Double.NaN : at.toEpochMilli() / 1000.0;
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
