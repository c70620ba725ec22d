package io.nightshift.scheduler.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.nightshift.executor.DaemonThreads;
import io.nightshift.scheduler.run.RunListener;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.run.RunTimings;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the runs that end on this node and observes their duration and their steps' durations
 * (each attempt, observed when its run ends). Labels are template and step names of stored
 * templates, so their number stays bounded. Reads the ended runs' times on its own thread, the runs
 * that ended meanwhile in one read.
 */
public final class RunMetrics implements RunListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunMetrics.class);

  /** Bucket bounds for run and step durations: from a second to a day. */
  static final Duration[] BUCKETS = {
    Duration.ofSeconds(1),
    Duration.ofSeconds(5),
    Duration.ofSeconds(15),
    Duration.ofSeconds(30),
    Duration.ofMinutes(1),
    Duration.ofMinutes(2),
    Duration.ofMinutes(5),
    Duration.ofMinutes(10),
    Duration.ofMinutes(30),
    Duration.ofHours(1),
    Duration.ofHours(2),
    Duration.ofHours(6),
    Duration.ofHours(24)
  };

  private final RunRepository runs;
  private final MeterRegistry registry;
  private final StoreGauges gauges;
  private final ExecutorService work =
      Executors.newSingleThreadExecutor(new DaemonThreads("nightshift-run-metrics-"));

  /** Runs that ended and are not observed yet, with their final status. */
  private final Map<Long, RunStatus> ended = new ConcurrentHashMap<>();

  /** At most this many runs per read (a backlog after an outage is read in parts). */
  private static final int READ_AT_ONCE = 200;

  public RunMetrics(RunRepository runs, MeterRegistry registry, StoreGauges gauges) {
    this.runs = runs;
    this.registry = registry;
    this.gauges = gauges;
  }

  @Override
  public void runChanged(long runId, RunStatus status, String error) {
    if (status == RunStatus.WAITING_APPROVAL) {
      gauges.refreshSoon();
    }
    if (!status.terminal()) {
      return;
    }
    ended.put(runId, status);
    work.execute(this::observeEnded);
  }

  /** Observes the runs that ended so far (none when an earlier call took them). */
  private void observeEnded() {
    while (!ended.isEmpty()) {
      List<Long> ids = ended.keySet().stream().limit(READ_AT_ONCE).toList();
      Map<Long, RunStatus> statuses = new HashMap<>();
      ids.forEach(id -> statuses.put(id, ended.remove(id)));
      try {
        runs.timings(ids).forEach((id, run) -> record(run, statuses.get(id)));
      } catch (RuntimeException e) {
        log.warn("runs {}: metrics not recorded", ids, e);
      }
    }
  }

  @Override
  public void approvalChanged(String event, long runId) {
    gauges.refreshSoon();
  }

  private void record(RunTimings run, RunStatus status) {
    String template = run.template();
    Counter.builder("nightshift.runs")
        .description(
            "runs that ended, by template and final status (counted once, by the node that relays the event)")
        .tag("template", template)
        .tag("status", status.name())
        .register(registry)
        .increment();
    if (run.startedAt() != null && run.finishedAt() != null) {
      Timer.builder("nightshift.run.duration")
          .description("time from a run's start to its end, by template")
          .tag("template", template)
          .serviceLevelObjectives(BUCKETS)
          .register(registry)
          .record(Duration.between(run.startedAt(), run.finishedAt()));
    }
    for (RunTimings.Attempt attempt : run.attempts()) {
      if (attempt.startedAt() != null && attempt.finishedAt() != null) {
        Timer.builder("nightshift.step.duration")
            .description("time each step attempt ran, by template and step (undo steps included)")
            .tag("template", template)
            .tag("step", attempt.step())
            .serviceLevelObjectives(BUCKETS)
            .register(registry)
            .record(Duration.between(attempt.startedAt(), attempt.finishedAt()));
      }
    }
    if (status == RunStatus.SUCCEEDED && run.job() != null && run.finishedAt() != null) {
      gauges.succeeded(run.job(), run.finishedAt());
    }
  }

  @Override
  public void close() {
    work.shutdownNow();
  }
}
