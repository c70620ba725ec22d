package io.nightshift.web.logs;

import static io.nightshift.sql.Tables.LOG_LINE;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.RedisProcess;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A step prints 200,000 lines while the log subscriber, or Redis itself, is stopped and started
 * again: every line ends up stored exactly once. Redis runs with AOF (fsync always), as the README
 * requires for production.
 */
class LogDurabilityTest {
  static final int LINES = 200_000;
  // 200 bursts of 1,000 lines, 20 ms apart: about four seconds of output.
  static final String PRINTER =
      "for b in $(seq 0 199); do seq $((b*1000+1)) $((b*1000+1000)); sleep 0.02; done";

  @TempDir Path redisDir;

  @Test
  void stopping_the_subscriber_mid_run_loses_and_duplicates_nothing() {
    try (RedisProcess redis = RedisProcess.startDurable(redisDir);
        TestServer server = TestServer.start(TestServer.Store.MYSQL, redis.url())) {
      long runId = startPrinter(server);
      DSLContext dsl = server.nightshift().database().dsl();
      Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> stored(dsl, runId) > 10_000);
      server.nightshift().logs().stopSubscriber();
      long atStop = stored(dsl, runId);
      awaitRunEnd(server, runId);
      assertThat(stored(dsl, runId))
          .as("nothing stored while the subscriber is down")
          .isLessThan(LINES);
      assertThat(atStop).isLessThan(LINES);

      server.nightshift().logs().startSubscriber();
      assertAllStoredOnce(dsl, runId);
    }
  }

  @Test
  void stopping_redis_mid_run_loses_and_duplicates_nothing() {
    try (RedisProcess redis = RedisProcess.startDurable(redisDir);
        TestServer server = TestServer.start(TestServer.Store.MYSQL, redis.url())) {
      long runId = startPrinter(server);
      DSLContext dsl = server.nightshift().database().dsl();
      Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> stored(dsl, runId) > 10_000);
      redis.stop();
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> server.nightshift().logs().bus().health().bufferedLines() > 0);
      Answer ready = server.get("/ready", null);
      assertThat(ready.status()).isEqualTo(503);
      assertThat(ready.json().getJsonObject("checks").getString("logs")).contains("buffering");

      redis.restart();
      awaitRunEnd(server, runId);
      assertAllStoredOnce(dsl, runId);
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> server.get("/ready", null).status() == 200);
    }
  }

  static long startPrinter(TestServer server) {
    String template =
        new JsonObject()
            .put("name", "printer")
            .put(
                "steps",
                new io.vertx.core.json.JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "print")
                            .put("kind", "command")
                            .put("command", PRINTER)))
            .encode();
    assertThat(server.post("/api/v1/templates", TestServer.ADMIN_TOKEN, template).status())
        .isEqualTo(201);
    Answer run = server.post("/api/v1/runs", TestServer.ADMIN_TOKEN, "{\"template\":\"printer\"}");
    assertThat(run.status()).as(run.toString()).isEqualTo(202);
    return run.json().getLong("id");
  }

  static void awaitRunEnd(TestServer server, long runId) {
    Awaitility.await()
        .atMost(120, TimeUnit.SECONDS)
        .until(
            () ->
                "SUCCEEDED"
                    .equals(
                        server
                            .get("/api/v1/runs/" + runId, TestServer.ADMIN_TOKEN)
                            .json()
                            .getString("status")));
  }

  static long stored(DSLContext dsl, long runId) {
    return dsl.fetchCount(LOG_LINE, LOG_LINE.RUN_ID.eq(runId));
  }

  static void assertAllStoredOnce(DSLContext dsl, long runId) {
    Awaitility.await().atMost(120, TimeUnit.SECONDS).until(() -> stored(dsl, runId) >= LINES);
    var row =
        dsl.select(
                DSL.count(),
                DSL.countDistinct(LOG_LINE.STEP_RUN_ID, LOG_LINE.SEQ),
                DSL.min(LOG_LINE.SEQ),
                DSL.max(LOG_LINE.SEQ))
            .from(LOG_LINE)
            .where(LOG_LINE.RUN_ID.eq(runId))
            .fetchOne();
    assertThat(row.value1()).as("rows").isEqualTo(LINES);
    assertThat(row.value2()).as("distinct lines").isEqualTo(LINES);
    assertThat(row.value3()).isEqualTo(1L);
    assertThat(row.value4()).isEqualTo((long) LINES);
    var contents =
        dsl.select(DSL.count())
            .from(LOG_LINE)
            .where(LOG_LINE.RUN_ID.eq(runId))
            .and(LOG_LINE.LINE.eq(DSL.cast(LOG_LINE.SEQ, String.class)))
            .fetchOne(0, Integer.class);
    assertThat(contents).as("line n is the text n").isEqualTo(LINES);
  }
}
