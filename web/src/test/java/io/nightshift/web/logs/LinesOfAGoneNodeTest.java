package io.nightshift.web.logs;

import static io.nightshift.sql.Tables.LOG_LINE;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.RedisProcess;
import io.nightshift.web.TestServer;
import io.nightshift.web.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;

/**
 * A node killed after reading lines from the log stream but before storing them leaves them pending
 * under its name; a live node stores them once it finds no live lease of that name (the
 * composition: the node's lease table feeds its log subscriber), not after the stream's claim idle
 * time (a minute, unchanged here).
 */
class LinesOfAGoneNodeTest {

  @Test
  void lines_a_gone_node_read_but_never_stored_are_stored_by_a_live_node() throws Exception {
    long runId = ThreadLocalRandom.current().nextLong(1_000_000_000L, 2_000_000_000L);
    Vertx vertx = Vertx.vertx();
    try (RedisProcess redis = RedisProcess.start();
        TestServer node =
            TestServer.start(
                TestServer.config(
                        TempFolders.create("nightshift-gone-"),
                        TestDatabases.cleanMysql(),
                        redis.url())
                    .withCluster(new Config.Cluster(1, 3, 1, 200)))) {
      Redis client = Redis.createClient(vertx, redis.url());
      // The live node reads nothing meanwhile, so the entry is the gone node's to hold.
      node.nightshift().logs().stopSubscriber();
      JsonArray lines = new JsonArray();
      for (int seq = 1; seq <= 5; seq++) {
        lines.add(
            new LogLine(runId, runId, "build", 1, seq, Instant.now(), LogLine.STDOUT, "line " + seq)
                .toJson());
      }
      send(
          client,
          Request.cmd(Command.XADD)
              .arg("nightshift:logs")
              .arg("*")
              .arg("lines")
              .arg(lines.encode()));
      Response read =
          send(
              client,
              Request.cmd(Command.XREADGROUP)
                  .arg("GROUP")
                  .arg("persist")
                  .arg("gone-node")
                  .arg("COUNT")
                  .arg(10)
                  .arg("STREAMS")
                  .arg("nightshift:logs")
                  .arg(">"));
      assertThat(read).as("the gone node read the entry").isNotNull();

      node.nightshift().logs().startSubscriber();

      DSLContext dsl = node.nightshift().database().dsl();
      Awaitility.await()
          .atMost(20, TimeUnit.SECONDS)
          .until(() -> dsl.fetchCount(LOG_LINE, LOG_LINE.RUN_ID.eq(runId)) == 5);
      Awaitility.await()
          .atMost(10, TimeUnit.SECONDS)
          .until(
              () ->
                  send(client, Request.cmd(Command.XPENDING).arg("nightshift:logs").arg("persist"))
                          .get(0)
                          .toLong()
                      == 0);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static Response send(Redis client, Request request) throws Exception {
    return client.send(request).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }
}
