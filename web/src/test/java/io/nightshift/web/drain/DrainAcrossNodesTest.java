package io.nightshift.web.drain;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on one MariaDB: a drained node finishes its running step, and the step after it runs on
 * the other node (its sweep takes over the run the drained node no longer moves on). A drain sent
 * to one node naming the other is 409.
 */
class DrainAcrossNodesTest {
  static final Config.Cluster SHORT_LEASES = new Config.Cluster(1, 3, 1, 200);

  static TestServer node(DatabaseSettings db) throws Exception {
    return TestServer.start(
        TestServer.config(TempFolders.create("nightshift-drain-"), db, null)
            .withCluster(SHORT_LEASES)
            .withShutdown(new Config.Shutdown(10)));
  }

  /** The state {@code asked} shows for node {@code name} in GET /nodes. */
  static String stateOf(TestServer asked, String name) {
    return nodeOf(asked, name).getString("state");
  }

  /** Node {@code name} as {@code asked} lists it. */
  static JsonObject nodeOf(TestServer asked, String name) {
    Answer nodes = asked.get("/api/v1/nodes", ADMIN_TOKEN);
    assertThat(nodes.status()).as(nodes.toString()).isEqualTo(200);
    return nodes.json().getJsonArray("items").stream()
        .map(JsonObject.class::cast)
        .filter(n -> n.getString("name").equals(name))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void the_work_a_drained_node_leaves_is_taken_over_by_another_node() throws Exception {
    DatabaseSettings db = TestDatabases.cleanMysql();
    try (TestServer a = node(db);
        TestServer b = node(db)) {
      String nodeA = a.nightshift().config().node();
      String nodeB = b.nightshift().config().node();
      DrainTest.createTemplate(a, "two-steps", "sleep 2; echo done", "echo after");
      long id = DrainTest.startRun(a, "two-steps");
      JsonObject running = DrainTest.awaitStep(a, id, 0, "RUNNING");
      assertThat(running.getJsonArray("steps").getJsonObject(0).getString("node")).isEqualTo(nodeA);

      Answer wrongNode = b.post("/api/v1/nodes/" + nodeA + "/drain", ADMIN_TOKEN, null);
      assertThat(wrongNode.status()).as(wrongNode.toString()).isEqualTo(409);
      assertThat(a.post("/api/v1/nodes/" + nodeA + "/drain", ADMIN_TOKEN, null).status())
          .isEqualTo(202);
      assertThat(b.get("/ready", null).status()).as("the other node stays ready").isEqualTo(200);
      assertThat(nodeOf(a, nodeA).getString("drainingSince"))
          .as("the node itself knows since when it drains, before its next lease renewal")
          .isNotNull();
      // Every node's view of the cluster shows the drain (published with the next lease renewal).
      Awaitility.await()
          .atMost(10, TimeUnit.SECONDS)
          .until(() -> stateOf(b, nodeA).equals("draining"));
      assertThat(stateOf(a, nodeB)).isEqualTo("serving");
      assertThat(stateOf(a, nodeA)).isIn("draining", "drained");

      JsonObject done =
          Awaitility.await()
              .atMost(60, TimeUnit.SECONDS)
              .until(
                  () -> DrainTest.run(b, id),
                  r -> DrainTest.TERMINAL.contains(r.getString("status")));
      assertThat(done.getString("status")).as(done.encodePrettily()).isEqualTo("SUCCEEDED");
      assertThat(done.getJsonArray("steps").getJsonObject(0).getString("node")).isEqualTo(nodeA);
      assertThat(done.getJsonArray("steps").getJsonObject(1).getString("node"))
          .as("the next step ran on the node that was not drained")
          .isEqualTo(nodeB);
    }
  }
}
