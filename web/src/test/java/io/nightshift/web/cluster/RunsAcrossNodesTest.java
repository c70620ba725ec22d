package io.nightshift.web.cluster;

import static io.nightshift.web.TestSteps.command;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.RedisProcess;
import io.nightshift.web.ServiceProcess;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one MariaDB and one Redis, with short leases (renewed every second, expiring after
 * three): a cancel reaches the node that runs the step, a node killed for good has its attempts
 * taken over, its deadlines and backoffs still come due, and a decision on either node moves a run.
 * Throughout, no run is over while one of its attempts runs.
 */
class RunsAcrossNodesTest {
  static final Config.Cluster SHORT_LEASES = new Config.Cluster(1, 3, 1, 200);
  static final Set<String> OVER =
      Set.of("SUCCEEDED", "FAILED", "CANCELED", "TIMED_OUT", "ROLLED_BACK", "ROLLBACK_FAILED");

  @TempDir Path dir;

  static TestServer node(DatabaseSettings db, String redis) throws IOException {
    return TestServer.start(
        TestServer.config(TempFolders.create("nightshift-cluster-"), db, redis)
            .withCluster(SHORT_LEASES));
  }

  static void template(TestServer node, String name, JsonObject... steps) {
    Answer created =
        node.post(
            "/api/v1/templates",
            TestServer.ADMIN_TOKEN,
            new JsonObject()
                .put("name", name)
                .put("steps", new JsonArray(List.of(steps)))
                .encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
  }

  static long start(TestServer node, String template) {
    Answer started =
        node.post(
            "/api/v1/runs",
            TestServer.ADMIN_TOKEN,
            new JsonObject().put("template", template).encode());
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    return started.json().getLong("id");
  }

  static JsonObject run(TestServer node, long id) {
    Answer answer = node.get("/api/v1/runs/" + id, TestServer.ADMIN_TOKEN);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    JsonObject run = answer.json();
    assertNotOverWhileAnAttemptRuns(run);
    return run;
  }

  static void assertNotOverWhileAnAttemptRuns(JsonObject run) {
    boolean running =
        run.getJsonArray("steps").stream()
            .map(JsonObject.class::cast)
            // Earlier attempts are listed only when there are several; the step is its latest.
            .flatMap(
                s ->
                    s.getJsonArray("attempts") == null
                        ? java.util.stream.Stream.of(s)
                        : s.getJsonArray("attempts").stream().map(JsonObject.class::cast))
            .anyMatch(a -> "RUNNING".equals(a.getString("status")));
    assertThat(running && OVER.contains(run.getString("status")))
        .as("a run is never over while one of its attempts runs: %s", run)
        .isFalse();
  }

  static JsonObject await(TestServer node, long id, Duration within, Predicate<JsonObject> until) {
    return Awaitility.await()
        .atMost(within)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> run(node, id), until);
  }

  static JsonObject step(JsonObject run, String name) {
    return run.getJsonArray("steps").stream()
        .map(JsonObject.class::cast)
        .filter(s -> s.getString("name").equals(name))
        .findFirst()
        .orElseThrow();
  }

  static boolean alive(long pid) {
    Path stat = Path.of("/proc", String.valueOf(pid), "stat");
    try {
      String text = Files.readString(stat);
      char state = text.charAt(text.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException e) {
      return false;
    }
  }

  /** A step that records its pid and its background child's, then waits. */
  String sleeper(String name) {
    Path pids = dir.resolve(name + ".pids");
    return "echo $$ > "
        + pids
        + ".tmp; sleep 1000 & echo $! >> "
        + pids
        + ".tmp; mv "
        + pids
        + ".tmp "
        + pids
        + "; wait";
  }

  List<Long> pids(String name) throws IOException {
    Path file = dir.resolve(name + ".pids");
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(file));
    List<Long> pids = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      pids.add(Long.parseLong(line.trim()));
    }
    return pids;
  }

  @Test
  void a_cancel_sent_to_the_other_node_kills_the_tree_within_two_seconds_and_the_run_ends_canceled()
      throws Exception {
    DatabaseSettings db = TestDatabases.cleanMysql();
    try (RedisProcess redis = RedisProcess.start();
        TestServer a = node(db, redis.url());
        TestServer b = node(db, redis.url())) {
      template(a, "long", command("wait", sleeper("cancel")));
      long id = start(a, "long");
      List<Long> pids = pids("cancel");
      assertThat(pids).allMatch(RunsAcrossNodesTest::alive);
      assertNodes(b, b, Map.of(a, 1, b, 0));

      Answer cancel = b.post("/api/v1/runs/" + id + "/cancel", TestServer.ADMIN_TOKEN, null);

      assertThat(cancel.status()).as(cancel.toString()).isEqualTo(200);
      assertThat(cancel.json().getString("status")).isEqualTo("CANCELING");
      Awaitility.await()
          .atMost(Duration.ofSeconds(2))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> pids.stream().noneMatch(RunsAcrossNodesTest::alive));
      JsonObject run =
          await(b, id, Duration.ofSeconds(10), r -> OVER.contains(r.getString("status")));
      assertThat(run.getString("status")).isEqualTo("CANCELED");
      assertThat(step(run, "wait").getString("status")).isEqualTo("CANCELED");
      assertNodes(a, a, Map.of(a, 0, b, 0));
    }
  }

  /**
   * {@code GET /nodes} on {@code asked} lists exactly the nodes of {@code running} (each with that
   * many step attempts held), {@code asked} as itself.
   */
  static void assertNodes(TestServer asked, TestServer self, Map<TestServer, Integer> running) {
    Answer answer = asked.get("/api/v1/nodes", TestServer.ADMIN_TOKEN);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    Map<String, JsonObject> byName =
        answer.json().getJsonArray("items").stream()
            .map(JsonObject.class::cast)
            .collect(java.util.stream.Collectors.toMap(n -> n.getString("name"), n -> n));
    assertThat(byName).hasSize(running.size());
    running.forEach(
        (node, steps) -> {
          JsonObject listed = byName.get(node.nightshift().config().node());
          assertThat(listed).as("node %s listed", node.nightshift().config().node()).isNotNull();
          assertThat(listed.getInteger("runningSteps")).as(listed.encode()).isEqualTo(steps);
          assertThat(listed.getLong("pid")).isEqualTo(ProcessHandle.current().pid());
          assertThat(listed.getBoolean("self")).isEqualTo(node == self);
          assertThat(listed.getString("state")).isEqualTo("serving");
          assertThat(listed.getValue("drainingSince")).isNull();
        });
  }

  @Test
  void an_approval_decided_on_either_node_moves_the_run_on() throws Exception {
    DatabaseSettings db = TestDatabases.cleanMysql();
    try (RedisProcess redis = RedisProcess.start();
        TestServer a = node(db, redis.url());
        TestServer b = node(db, redis.url())) {
      JsonObject gate =
          new JsonObject()
              .put("name", "gate")
              .put("kind", "approval")
              .put("approvers", new JsonArray().add("role:admin"));
      template(
          a,
          "gated",
          gate,
          command("after", "echo after").put("needs", new JsonArray().add("gate")));
      String decider = a.token("decider", "approver", "admin");
      for (TestServer decidingNode : List.of(a, b)) {
        long id = start(a, "gated");
        await(a, id, Duration.ofSeconds(20), r -> "WAITING_APPROVAL".equals(r.getString("status")));
        Answer pending =
            decidingNode.get("/api/v1/approvals?status=pending&run=" + id, TestServer.ADMIN_TOKEN);
        long approval = pending.json().getJsonArray("items").getJsonObject(0).getLong("id");

        Answer approved =
            decidingNode.post("/api/v1/approvals/" + approval + "/approve", decider, null);

        assertThat(approved.status()).as(approved.toString()).isEqualTo(200);
        JsonObject run =
            await(a, id, Duration.ofSeconds(20), r -> OVER.contains(r.getString("status")));
        assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
      }
    }
  }

  @Test
  void
      a_node_killed_for_good_has_its_step_retried_elsewhere_and_its_deadlines_and_backoffs_come_due()
          throws Exception {
    DatabaseSettings db = TestDatabases.cleanMysql();
    List<Long> leftovers = new ArrayList<>();
    try (RedisProcess redis = RedisProcess.start()) {
      int port = freePort();
      String yaml =
          "node: doomed\ndataDir: data\nhttp:\n  port: "
              + port
              + "\ndb:\n  url: \""
              + db.url()
              + "\"\n  user: \""
              + db.user()
              + "\"\n  password: \""
              + db.password()
              + "\"\nredis:\n  url: \""
              + redis.url()
              + "\"\ncluster:\n  leaseRenewSeconds: 1\n  leaseExpirySeconds: 3\n  sweepSeconds: 1\n";
      try (ServiceProcess doomed =
              new ServiceProcess(
                  dir, yaml, Map.of("NIGHTSHIFT_ADMIN_TOKEN", TestServer.ADMIN_TOKEN));
          TestServer survivor = node(db, redis.url())) {
        doomed.start();
        String base = "http://127.0.0.1:" + port;
        Path second = dir.resolve("second-attempt");
        template(
            survivor,
            "lost",
            command(
                    "work",
                    "if [ \"$NIGHTSHIFT_ATTEMPT\" = 1 ]; then "
                        + sleeper("lost")
                        + "; else echo $NIGHTSHIFT_NODE > "
                        + second
                        + "; fi")
                .put("retries", 1));
        template(
            survivor,
            "backoff",
            command("flaky", "[ \"$NIGHTSHIFT_ATTEMPT\" = 2 ]")
                .put("retries", 1)
                .put("retryBackoffSeconds", 4));
        template(
            survivor,
            "deadline",
            new JsonObject()
                .put("name", "gate")
                .put("kind", "approval")
                .put("approvers", new JsonArray().add("role:admin"))
                .put("timeoutSeconds", 4)
                .put("onTimeout", "approve"));
        long lost = Remote.start(base, "lost");
        long backoff = Remote.start(base, "backoff");
        long deadline = Remote.start(base, "deadline");
        leftovers.addAll(pids("lost"));
        await(
            survivor,
            backoff,
            Duration.ofSeconds(20),
            r -> step(r, "flaky").getInteger("attempt") == 2);
        await(
            survivor,
            deadline,
            Duration.ofSeconds(20),
            r -> "WAITING_APPROVAL".equals(r.getString("status")));

        doomed.kill();

        JsonObject run =
            await(
                survivor, lost, Duration.ofSeconds(60), r -> OVER.contains(r.getString("status")));
        assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
        JsonObject first = step(run, "work").getJsonArray("attempts").getJsonObject(0);
        assertThat(step(run, "work").getInteger("attempt")).isEqualTo(2);
        assertThat(first.getString("status")).isEqualTo("FAILED");
        assertThat(first.getString("error")).contains("executor lost");
        assertThat(Files.readString(second).trim())
            .isEqualTo(survivor.nightshift().config().node());
        // The killed node's processes of attempt 1 outlived it on this host, beside attempt 2:
        // when the node comes back, it kills them, although the attempt was ended by another node.
        assertThat(leftovers).allMatch(RunsAcrossNodesTest::alive);
        doomed.start();
        Awaitility.await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> leftovers.stream().noneMatch(RunsAcrossNodesTest::alive));
        Awaitility.await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    Files.readString(doomed.log())
                        .contains("its processes were still running on this host"));
        assertThat(
                await(
                        survivor,
                        backoff,
                        Duration.ofSeconds(30),
                        r -> OVER.contains(r.getString("status")))
                    .getString("status"))
            .isEqualTo("SUCCEEDED");
        assertThat(
                await(
                        survivor,
                        deadline,
                        Duration.ofSeconds(30),
                        r -> OVER.contains(r.getString("status")))
                    .getString("status"))
            .isEqualTo("SUCCEEDED");
      }
    } finally {
      for (long pid : leftovers) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Calls to the node that runs as a separate JVM. */
  static final class Remote {
    static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

    static long start(String base, String template) throws Exception {
      java.net.http.HttpResponse<String> answer =
          HTTP.send(
              java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/v1/runs"))
                  .header("Authorization", "Bearer " + TestServer.ADMIN_TOKEN)
                  .timeout(Duration.ofSeconds(30))
                  .POST(
                      java.net.http.HttpRequest.BodyPublishers.ofString(
                          new JsonObject().put("template", template).encode()))
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
      return new JsonObject(answer.body()).getLong("id");
    }
  }
}
