package io.nightshift.web.cluster;

import static io.nightshift.web.TestSteps.command;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.await;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.node;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.run;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.start;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.step;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.template;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.RedisProcess;
import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on one MariaDB and one Redis, leases of 3 s renewed every second. The database server's
 * clock steps a minute forward as node A reads it (MariaDB lets a session set its clock: here A's
 * lease connections, through which A reads the server's time) while a step runs on node B, which
 * has not read the new time: by A's new time B's lease expired a minute ago. A holds lease
 * judgement until every node could have read the new time and renewed, so B's step is not failed as
 * lost meanwhile.
 */
class DatabaseClockStepTest {

  @Test
  void a_forward_step_of_the_databases_clock_fails_no_live_step_of_another_node_as_lost()
      throws Exception {
    DatabaseSettings db = TestDatabases.cleanMysql();
    try (RedisProcess redis = RedisProcess.start();
        TestServer a = node(db, redis.url());
        TestServer b = node(db, redis.url())) {
      template(b, "slow", command("wait", "sleep 60"));
      long id = start(b, "slow");
      await(
          b,
          id,
          Duration.ofSeconds(10),
          r -> "RUNNING".equals(step(r, "wait").getString("status")));

      // Both lease connections of A at once (the pool has 2), so each keeps the new clock.
      a.nightshift()
          .database()
          .leases()
          .connection(
              first ->
                  a.nightshift()
                      .database()
                      .leases()
                      .connection(
                          second -> {
                            for (java.sql.Connection c :
                                new java.sql.Connection[] {first, second}) {
                              DSL.using(c).execute("set timestamp = unix_timestamp(now(6)) + 60");
                            }
                          }));
      a.nightshift().clockWatch().orElseThrow().measure();

      // A sweeps every second: without the hold it fails B's attempt as lost within a sweep.
      Awaitility.await()
          .during(Duration.ofSeconds(5))
          .atMost(Duration.ofSeconds(10))
          .until(() -> "RUNNING".equals(step(run(a, id), "wait").getString("status")));
      JsonObject running = run(b, id);
      assertThat(step(running, "wait").getInteger("attempt")).isEqualTo(1);

      assertThat(b.post("/api/v1/runs/" + id + "/cancel", TestServer.ADMIN_TOKEN, "{}").status())
          .isEqualTo(200);
      await(b, id, Duration.ofSeconds(20), r -> "CANCELED".equals(r.getString("status")));
    }
  }
}
