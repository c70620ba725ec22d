package io.nightshift.scheduler.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.nightshift.scheduler.logs.LogBus;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code nightshift_log_backlog_lines}: log lines not stored yet, as this node sees them: what its
 * bus holds in memory plus, on Redis, the entries waiting in the stream (read with XLEN every few
 * seconds; an entry may carry several lines, so that part counts at least one per entry).
 */
public final class LogBacklog {
  private final AtomicLong streamEntries = new AtomicLong();

  /** {@code redis} null in embedded mode (no stream). */
  public LogBacklog(Vertx vertx, LogBus bus, Redis redis, String stream, MeterRegistry registry) {
    Gauge.builder(
            "nightshift.log.backlog.lines",
            this,
            b -> bus.health().bufferedLines() + b.streamEntries.get())
        .description(
            "log lines not stored yet: held in this node's memory plus entries waiting in the"
                + " Redis stream (an entry holds one or more lines)")
        .strongReference(true)
        .register(registry);
    if (redis != null) {
      vertx.setPeriodic(
          0,
          5000,
          id ->
              redis
                  .send(Request.cmd(Command.XLEN).arg(stream))
                  .onSuccess(answer -> streamEntries.set(answer == null ? 0 : answer.toLong())));
    }
  }
}
