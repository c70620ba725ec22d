package io.nightshift.scheduler.logs;

import io.nightshift.executor.LogLine;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * Carries step output and run/step status events from the executor to live followers and to the
 * store. Thread-safe. {@link #publish} and {@link #publishEvent} may block when the bounded buffer
 * is full (back-pressure), so call them from executor threads, never from an event loop.
 *
 * <p>Two implementations: {@link InProcessLogBus} (embedded mode: memory + a persister thread) and
 * {@link RedisLogBus} (PUBLISH for live followers, XADD for the {@link LogSubscriber}).
 */
public interface LogBus extends AutoCloseable {

  /** Hands a line over; returns at once unless the buffer is full, then waits for room. */
  void publish(LogLine line);

  /**
   * A run or step status event, {@code {"type": "step"|"run", "runId": ..., ...}}; on Redis it goes
   * to the events channel ({@code nightshift:events}). Ordered with the lines published before it.
   */
  void publishEvent(JsonObject event);

  /**
   * Live lines and events of one run from this moment on, until {@link Follow#close()}. Callbacks
   * run on a bus thread (an event loop in Redis mode): they must be quick and must not block; hand
   * the work to your own context. The same line may rarely be delivered twice (after a Redis
   * failure a batch is sent again); {@code (stepRunId, seq)} tells them apart.
   */
  Follow follow(long runId, Consumer<LogLine> lines, Consumer<JsonObject> events);

  /** Every event of every run (and events without a run, such as job changes). */
  Follow followEvents(Consumer<JsonObject> events);

  /** For /ready: whether lines flow, and how many wait in memory. */
  BusHealth health();

  /**
   * Waits until everything published before this call has been handed on (to Redis in Redis mode;
   * stored in embedded mode).
   */
  void flush() throws InterruptedException;

  /** Like {@link #flush()} but gives up after {@code timeout}; true when everything went. */
  boolean flush(Duration timeout) throws InterruptedException;

  /**
   * Stops accepting lines, hands on what it holds (waiting a bounded time) and releases threads.
   */
  @Override
  void close();
}
