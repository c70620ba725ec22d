package io.nightshift.scheduler.logs;

import static io.nightshift.scheduler.logs.LogFixtures.T0;
import static io.nightshift.scheduler.logs.LogFixtures.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Redis restarts, on a private {@code redis-server} this test kills (SIGKILL) and starts again.
 *
 * <p>What a restart costs depends on Redis keeping its data. Without persistence the stream is gone
 * after a restart: entries handed to Redis but not yet stored in MySQL are lost with it, so the
 * first test only kills Redis once the subscriber has caught up; lines published while Redis is
 * down wait in the executor's buffer and must all arrive. With AOF ({@code appendfsync always}), as
 * production needs, Redis may die at any moment: the second test kills it mid-flow.
 */
class RedisOutageTest {
  private static Database database;
  private static LogStore store;
  private Vertx vertx;
  private RedisServerProcess redis;
  private RedisLogBus bus;
  private LogSubscriber subscriber;

  @BeforeAll
  static void open() {
    database = TestDatabases.freshMysql();
    store = new LogStore(database);
  }

  @AfterAll
  static void closeDatabase() {
    database.close();
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    if (bus != null) {
      bus.close();
    }
    if (subscriber != null) {
      subscriber.stop();
    }
    if (redis != null) {
      redis.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void lines_published_while_redis_is_down_are_buffered_up_to_the_bound_reported_and_stored_once()
      throws Exception {
    redis = new RedisServerProcess(false).start();
    LogSettings settings = TestRedis.settings("node-a").withBufferLines(15_000);
    open(settings);
    long run = LogFixtures.fakeId();
    long step = LogFixtures.fakeId();

    for (int seq = 1; seq <= 10_000; seq++) {
      bus.publish(line(run, step, "s", seq, T0.plusMillis(seq)));
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> store.count(run) == 10_000);

    redis.kill();
    AtomicLong published = new AtomicLong(10_000);
    Thread producer =
        new Thread(
            () -> {
              for (int seq = 10_001; seq <= 30_000; seq++) {
                bus.publish(line(run, step, "s", seq, T0.plusMillis(seq)));
                published.incrementAndGet();
              }
            },
            "producer");
    producer.start();

    // The buffer fills to its bound, then the producer waits: nothing is dropped.
    await().atMost(Duration.ofSeconds(20)).until(() -> bus.health().bufferedLines() == 15_000);
    assertThat(published.get()).isEqualTo(25_000);
    assertThat(producer.isAlive()).isTrue();
    // the publishing side names the outage once its send fails (the subscription may notice first)
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> bus.health().detail().contains("redis down since "));
    BusHealth down = bus.health();
    assertThat(down.ok()).isFalse();
    assertThat(down.detail()).startsWith("redis down since ").contains("buffering 15000 lines");
    await().atMost(Duration.ofSeconds(5)).until(() -> !subscriber.health().ok());

    redis.start();

    producer.join(30_000);
    assertThat(producer.isAlive()).isFalse();
    await().atMost(Duration.ofSeconds(30)).until(() -> store.count(run) == 30_000);
    assertThat(LogFixtures.distinctLines(database.dsl(), run)).isEqualTo(30_000);
    await().atMost(Duration.ofSeconds(10)).until(() -> bus.health().ok());
    assertThat(bus.health().bufferedLines()).isZero();
  }

  @Test
  void with_an_append_only_file_redis_killed_mid_flow_loses_no_line_and_stores_none_twice()
      throws Exception {
    redis = new RedisServerProcess(true).start();
    LogSettings settings = TestRedis.settings("node-a");
    open(settings);
    long run = LogFixtures.fakeId();
    long step = LogFixtures.fakeId();
    int total = 40_000;

    AtomicLong published = new AtomicLong();
    Thread producer =
        new Thread(
            () -> {
              for (int seq = 1; seq <= total; seq++) {
                bus.publish(line(run, step, "s", seq, T0.plusMillis(seq)));
                published.incrementAndGet();
              }
            },
            "producer");
    producer.start();

    await().atMost(Duration.ofSeconds(30)).until(() -> store.count(run) >= 5_000);
    redis.kill(); // while lines are being published, sent and stored
    long storedAtKill = store.count(run);
    redis.start();

    producer.join(60_000);
    await().atMost(Duration.ofSeconds(60)).until(() -> store.count(run) == total);
    assertThat(LogFixtures.distinctLines(database.dsl(), run)).isEqualTo(total);
    assertThat(storedAtKill).isLessThan(total);
  }

  private void open(LogSettings settings) throws Exception {
    RedisOptions options = new RedisOptions().setConnectionString(redis.url());
    bus = new RedisLogBus(vertx, options, settings, Clock.systemUTC());
    bus.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    subscriber = new LogSubscriber(vertx, options, store, settings, Clock.systemUTC());
    subscriber.start();
  }
}
