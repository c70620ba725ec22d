package io.nightshift.web.cluster;

import static io.nightshift.web.TestSteps.command;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.OVER;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.SHORT_LEASES;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.assertNodes;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.await;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.start;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.step;
import static io.nightshift.web.cluster.RunsAcrossNodesTest.template;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.RedisProcess;
import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on one MariaDB and one Redis whose own clocks are a minute off the database server's,
 * one each way, with leases of 3 s renewed every second. Nodes keep time by the database: by its
 * own clock, the node ahead would find the other's leases a minute past their expiry and fail its
 * live steps as lost, would not list it among the live nodes, and the times stored by one node
 * would be two minutes off the other's.
 */
class ClockSkewAcrossNodesTest {

  static TestServer node(DatabaseSettings db, String redis, Duration off) {
    return TestServer.start(
        TestServer.config(TempFolders.create("nightshift-skew-"), db, redis)
            .withCluster(SHORT_LEASES),
        Clock.offset(Clock.systemUTC(), off));
  }

  @Test
  void nodes_a_minute_off_each_way_keep_each_others_steps_and_list_each_other() {
    DatabaseSettings db = TestDatabases.cleanMysql();
    try (RedisProcess redis = RedisProcess.start();
        TestServer behind = node(db, redis.url(), Duration.ofSeconds(-60));
        TestServer ahead = node(db, redis.url(), Duration.ofSeconds(60))) {
      template(behind, "slow", command("wait", "sleep 6").put("retries", 1));
      long onBehind = start(behind, "slow");
      long onAhead = start(ahead, "slow");
      await(behind, onBehind, Duration.ofSeconds(10), r -> running(r));
      await(ahead, onAhead, Duration.ofSeconds(10), r -> running(r));

      // Each node lists both, each running one step (its own run's).
      assertNodes(ahead, ahead, Map.of(behind, 1, ahead, 1));
      assertNodes(behind, behind, Map.of(behind, 1, ahead, 1));

      for (long id : new long[] {onBehind, onAhead}) {
        JsonObject run =
            await(ahead, id, Duration.ofSeconds(30), r -> OVER.contains(r.getString("status")));
        assertThat(run.getString("status")).as(run.encode()).isEqualTo("SUCCEEDED");
        JsonObject wait = step(run, "wait");
        assertThat(wait.getInteger("attempt")).as("never taken as lost: %s", run).isEqualTo(1);
        assertThat(wait.getString("error")).isNull();
        // Its times are the database's (this host's), not its node's: they add up.
        assertThat(Duration.between(Instant.parse(wait.getString("startedAt")), Instant.now()))
            .as("started a few seconds ago: %s", run)
            .isBetween(Duration.ofSeconds(5), Duration.ofSeconds(40));
        assertThat(wait.getLong("durationMs")).isBetween(5_000L, 30_000L);
      }
    }
  }

  private static boolean running(JsonObject run) {
    return "RUNNING".equals(step(run, "wait").getString("status"));
  }
}
