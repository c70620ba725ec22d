package io.nightshift.scheduler.logs;

import static io.nightshift.scheduler.logs.LogFixtures.T0;
import static io.nightshift.scheduler.logs.LogFixtures.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.Retention;
import io.nightshift.scheduler.store.TestDatabases;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisOptions;
import java.net.ServerSocket;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LogPipelineCheckTest {

  @Test
  void ready_fails_with_the_buses_sentence_while_redis_is_unreachable_and_passes_in_embedded_mode()
      throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Vertx vertx = Vertx.vertx();
    LogSettings settings = TestRedis.settings("node-a");
    try (RedisLogBus bus =
        new RedisLogBus(
            vertx,
            new RedisOptions().setConnectionString("redis://127.0.0.1:" + closedPort),
            settings,
            Clock.systemUTC())) {
      bus.start();
      bus.publish(line(1, 1, "s", 1, T0));
      LogPipelineCheck check = new LogPipelineCheck(bus, null);

      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                Future<Void> result = check.check();
                assertThat(result.failed()).isTrue();
                assertThat(result.cause().getMessage())
                    .startsWith("redis down since ")
                    .contains("buffering 1 lines");
              });
      assertThat(bus.health().bufferedLines()).isEqualTo(1);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    try (Database database = TestDatabases.freshH2();
        InProcessLogBus embedded =
            new InProcessLogBus(new LogStore(database), settings, Clock.systemUTC())) {
      assertThat(new LogPipelineCheck(embedded, null).check().succeeded()).isTrue();
    }
  }

  @Test
  void retention_deletes_the_lines_older_than_the_period() {
    try (Database database = TestDatabases.freshH2()) {
      LogStore store = new LogStore(database);
      long run = LogFixtures.fakeId();
      Instant now = Instant.parse("2026-11-22T00:00:00Z");
      store.insert(
          List.of(
              line(run, run, "s", 1, now.minus(Duration.ofDays(31))),
              line(run, run, "s", 2, now.minus(Duration.ofDays(29)))));

      LogRetention retention =
          new LogRetention(
              store, new Retention(Duration.ofDays(30), 1000, Clock.fixed(now, ZoneOffset.UTC)));

      assertThat(retention.purge()).isEqualTo(1);
      assertThat(store.page(run, null, null, 10).items())
          .extracting(l -> l.seq())
          .containsExactly(2L);
    }
  }
}
