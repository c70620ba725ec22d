package io.nightshift.scheduler.logs;

import static io.nightshift.scheduler.logs.LogFixtures.T0;
import static io.nightshift.scheduler.logs.LogFixtures.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.executor.LogLine;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Live delivery through the shared Redis, with keys of this test's own. */
class RedisLogBusTest {
  private Vertx vertx;
  private LogSettings settings;
  private RedisLogBus bus;
  private Redis raw;

  @BeforeAll
  static void redisIsUp() {
    TestRedis.requireUp(TestRedis.PORT);
  }

  @BeforeEach
  void open() throws Exception {
    vertx = Vertx.vertx();
    settings = TestRedis.settings("node-a");
    bus =
        new RedisLogBus(
            vertx,
            new RedisOptions().setConnectionString(TestRedis.url()),
            settings,
            Clock.systemUTC());
    bus.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    raw = Redis.createClient(vertx, TestRedis.url());
  }

  @AfterEach
  void close() throws Exception {
    bus.close();
    send(Request.cmd(Command.DEL).arg(settings.stream()));
    raw.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void a_raw_psubscribe_client_receives_each_line_as_the_documented_one_line_json()
      throws Exception {
    RedisConnection conn =
        raw.connect().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    List<Response> received = new CopyOnWriteArrayList<>();
    conn.handler(received::add);
    conn.send(Request.cmd(Command.PSUBSCRIBE).arg(settings.channelPrefix() + "*"));
    await().atMost(Duration.ofSeconds(5)).until(() -> kinds(received).contains("psubscribe"));

    LogLine line =
        new LogLine(
            42, 7, "backup", 1, 118, T0.plusMillis(1123), LogLine.STDOUT, "dumped 120 tables");
    bus.publish(line);

    await().atMost(Duration.ofSeconds(5)).until(() -> kinds(received).contains("pmessage"));
    Response message =
        received.stream().filter(r -> r.get(0).toString().equals("pmessage")).findFirst().get();
    assertThat(message.get(2).toString()).isEqualTo(settings.channelPrefix() + "42");
    String payload = message.get(3).toString();
    assertThat(payload).doesNotContain("\n");
    assertThat(new JsonObject(payload))
        .isEqualTo(
            new JsonObject(
                "{\"runId\": 42, \"stepRunId\": 7, \"step\": \"backup\", \"attempt\": 1, \"seq\": 118,"
                    + " \"ts\": \"2026-11-22T03:30:01.123Z\", \"stream\": \"stdout\","
                    + " \"line\": \"dumped 120 tables\"}"));
    conn.close();
  }

  @Test
  void the_stream_gets_one_entry_carrying_a_json_array_of_the_batch() throws Exception {
    for (int seq = 1; seq <= 10; seq++) {
      bus.publish(line(5, 50, "s", seq, T0));
    }
    bus.flush();

    Response entries = send(Request.cmd(Command.XRANGE).arg(settings.stream()).arg("-").arg("+"));
    int lines = 0;
    for (Response entry : entries) {
      Response fields = entry.get(1);
      assertThat(fields.get(0).toString()).isEqualTo("lines");
      lines += new io.vertx.core.json.JsonArray(fields.get(1).toString()).size();
    }
    assertThat(lines).isEqualTo(10);
    assertThat(entries.size()).isLessThan(10);
  }

  @Test
  void follow_delivers_its_runs_lines_and_events_live_until_closed() throws Exception {
    List<LogLine> lines = new CopyOnWriteArrayList<>();
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    List<LogLine> otherRun = new CopyOnWriteArrayList<>();
    List<JsonObject> allEvents = new CopyOnWriteArrayList<>();
    Follow follow = bus.follow(1, lines::add, events::add);
    bus.follow(2, otherRun::add, e -> {});
    bus.followEvents(allEvents::add);

    for (int seq = 1; seq <= 100; seq++) {
      bus.publish(line(1, 10, "build", seq, T0.plusMillis(seq)));
    }
    bus.publish(line(2, 20, "other", 1, T0));
    bus.publishEvent(new JsonObject().put("type", "step").put("runId", 1).put("step", "build"));
    bus.publishEvent(new JsonObject().put("type", "job").put("job", "nightly"));

    await().atMost(Duration.ofSeconds(5)).until(() -> lines.size() == 100 && events.size() == 1);
    assertThat(lines).extracting(LogLine::seq).isSorted().doesNotHaveDuplicates();
    assertThat(lines).allSatisfy(l -> assertThat(l.runId()).isEqualTo(1));
    assertThat(events.get(0).getString("type")).isEqualTo("step");
    await().atMost(Duration.ofSeconds(5)).until(() -> allEvents.size() == 2);
    assertThat(bus.health().ok()).isTrue();

    follow.close();
    bus.publish(line(1, 10, "build", 101, T0));
    bus.publish(line(2, 20, "other", 2, T0)); // arrives after the line above: same connection
    await().atMost(Duration.ofSeconds(5)).until(() -> otherRun.size() == 2);
    assertThat(lines).hasSize(100);
  }

  private static List<String> kinds(List<Response> received) {
    return received.stream().map(r -> r.get(0).toString()).toList();
  }

  private Response send(Request request) throws Exception {
    return raw.send(request).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }
}
