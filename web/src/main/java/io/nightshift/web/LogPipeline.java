package io.nightshift.web;

import io.nightshift.scheduler.health.ReadinessCheck;
import io.nightshift.scheduler.logs.InProcessLogBus;
import io.nightshift.scheduler.logs.LogBus;
import io.nightshift.scheduler.logs.LogPipelineCheck;
import io.nightshift.scheduler.logs.LogSettings;
import io.nightshift.scheduler.logs.LogStore;
import io.nightshift.scheduler.logs.LogSubscriber;
import io.nightshift.scheduler.logs.RedisLogBus;
import io.nightshift.web.config.Config;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisOptions;
import java.time.Clock;

/**
 * The log bus of this node and, on Redis, the subscriber that stores lines: Redis + stream
 * subscriber in production, the in-process bus in embedded mode.
 */
public final class LogPipeline implements AutoCloseable {
  private final LogBus bus;
  private final Starter starter;
  private volatile LogSubscriber subscriber;

  /** Makes a new subscriber (a stopped one cannot start again). */
  private interface Starter {
    LogSubscriber start();
  }

  private LogPipeline(LogBus bus, Starter starter) {
    this.bus = bus;
    this.starter = starter;
    this.subscriber = starter == null ? null : starter.start();
  }

  /**
   * {@code liveNodes}: the names of the nodes holding a live lease; the pending log entries of any
   * other consumer are taken over every sweep period ({@code cluster.sweepSeconds}).
   */
  static LogPipeline start(
      Vertx vertx,
      Config config,
      LogStore store,
      Clock clock,
      java.util.function.Supplier<java.util.Set<String>> liveNodes) {
    LogSettings settings =
        LogSettings.defaults(config.node()).withBufferLines(config.logs().bufferLines());
    if (!config.redis().enabled()) {
      return new LogPipeline(new InProcessLogBus(store, settings, clock), null);
    }
    RedisOptions options = new RedisOptions().setConnectionString(config.redis().url());
    RedisLogBus bus = new RedisLogBus(vertx, options, settings, clock);
    try {
      // Ready means live followers get lines: wait (bounded) for the subscription.
      bus.start().await(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      org.slf4j.LoggerFactory.getLogger(LogPipeline.class)
          .warn("live log subscription to Redis not active yet; /ready says so until it is");
    }
    return new LogPipeline(
        bus,
        () -> {
          LogSubscriber subscriber =
              new LogSubscriber(
                  vertx,
                  options,
                  store,
                  settings,
                  clock,
                  liveNodes,
                  java.time.Duration.ofSeconds(config.cluster().sweepSeconds()));
          subscriber.start();
          return subscriber;
        });
  }

  public LogBus bus() {
    return bus;
  }

  /**
   * Stops storing lines on this node (Redis mode); lines keep collecting in the stream until {@link
   * #startSubscriber()} or another node's subscriber stores them.
   */
  public void stopSubscriber() {
    LogSubscriber current = subscriber;
    if (current != null) {
      current.stop();
    }
  }

  /** Starts storing lines again with a new subscriber (Redis mode). */
  public void startSubscriber() {
    if (starter == null) {
      throw new IllegalStateException("the embedded log bus has no stream subscriber");
    }
    stopSubscriber();
    subscriber = starter.start();
  }

  ReadinessCheck check() {
    return new LogPipelineCheck(bus, starter == null ? null : () -> subscriber);
  }

  @Override
  public void close() {
    bus.close();
    stopSubscriber();
  }
}
