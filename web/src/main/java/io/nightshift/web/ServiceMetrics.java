package io.nightshift.web;

import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nightshift.scheduler.logs.LogBus;
import io.nightshift.scheduler.metrics.LogBacklog;
import io.nightshift.scheduler.metrics.MetricsStore;
import io.nightshift.scheduler.metrics.RunMetrics;
import io.nightshift.scheduler.metrics.StoreGauges;
import io.nightshift.scheduler.node.ClockWatch;
import io.nightshift.scheduler.run.RunRepository;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import java.time.Duration;
import org.jooq.DSLContext;

/**
 * What {@code GET /metrics} shows beyond Vert.x's own meters: runs, steps, jobs, approvals, the log
 * backlog, this node's clock offset (the names are a contract: docs/grafana-dashboard.json and
 * docs/prometheus-alerts.yml use them), plus JVM and process metrics.
 */
final class ServiceMetrics implements AutoCloseable {
  private final JvmGcMetrics gc = new JvmGcMetrics();
  private final StoreGauges gauges;
  private final RunMetrics runs;
  private final ClockWatch clockWatch;

  /** {@code clockWatch}: this node's clock against the database server's (null: embedded). */
  ServiceMetrics(
      PrometheusMeterRegistry registry,
      Vertx vertx,
      DSLContext dsl,
      RunRepository runRepository,
      LogBus bus,
      Redis redis,
      String stream,
      ClockWatch clockWatch) {
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    this.gauges = new StoreGauges(new MetricsStore(dsl), registry).start(Duration.ofSeconds(30));
    this.runs = new RunMetrics(runRepository, registry, gauges);
    new LogBacklog(vertx, bus, redis, stream, registry);
    this.clockWatch = clockWatch;
  }

  RunMetrics runs() {
    return runs;
  }

  /** This node's clock against the database server's; null on the embedded store. */
  ClockWatch clockWatch() {
    return clockWatch;
  }

  @Override
  public void close() {
    runs.close();
    gauges.close();
    gc.close();
    if (clockWatch != null) {
      clockWatch.close();
    }
  }
}
