package io.nightshift.web.drain;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.run.NodeLeaseRepository;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.ServiceProcess;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Draining a node, on the real server: a step that ends within the grace finishes SUCCEEDED, one
 * that runs longer is stopped and its attempt fails "node drained" (its run is not left RUNNING),
 * nothing new starts on the node, and what is left is taken over at the next start.
 */
class DrainTest {
  static final String TOKEN = "drain-test-token-0123456789";
  static final java.util.Set<String> TERMINAL =
      java.util.Set.of(
          "SUCCEEDED", "FAILED", "CANCELED", "TIMED_OUT", "ROLLED_BACK", "ROLLBACK_FAILED");

  @TempDir Path dir;

  @Test
  void drain_over_the_api_lets_short_steps_finish_and_stops_long_ones() {
    Config config =
        TestServer.config(dir, TestDatabases.h2Settings(dir), null)
            .withShutdown(new Config.Shutdown(3));
    long survivor;
    long tooLong;
    try (TestServer server = TestServer.start(config)) {
      String node = config.node();
      createTemplate(server, "survives", "sleep 2; echo done", "echo after");
      createTemplate(server, "too-long", "sleep 60", null);
      Map<String, String> key = Map.of("Idempotency-Key", "drain-resend-1");
      String survivesBody = new JsonObject().put("template", "survives").encode();
      Answer first = server.post("/api/v1/runs", ADMIN_TOKEN, survivesBody, key);
      assertThat(first.status()).as(first.toString()).isEqualTo(202);
      survivor = first.json().getLong("id");
      tooLong = startRun(server, "too-long");
      Answer job =
          server.post(
              "/api/v1/jobs",
              ADMIN_TOKEN,
              new JsonObject().put("name", "by-hand").put("template", "survives").encode());
      assertThat(job.status()).as(job.toString()).isEqualTo(201);
      awaitStep(server, survivor, 0, "RUNNING");
      awaitStep(server, tooLong, 0, "RUNNING");

      Answer drained = server.post("/api/v1/nodes/" + node + "/drain", ADMIN_TOKEN, null);
      assertThat(drained.status()).as(drained.toString()).isEqualTo(202);
      assertThat(drained.json().getString("state")).isEqualTo("draining");
      assertThat(drained.json().getInteger("executingSteps")).isEqualTo(2);

      Answer ready = server.get("/ready", null);
      assertThat(ready.status()).isEqualTo(503);
      assertThat(ready.json().getJsonObject("details").getString("node")).startsWith("draining");
      assertThat(server.get("/health", null).status()).isEqualTo(200);
      Answer refused =
          server.post(
              "/api/v1/runs", ADMIN_TOKEN, new JsonObject().put("template", "survives").encode());
      assertThat(refused.status()).as(refused.toString()).isEqualTo(503);
      assertThat(refused.errorCode()).isEqualTo("draining");
      assertThat(refused.errorMessage()).contains(node).contains("draining");
      assertThat(refused.response().headers().firstValue("Retry-After")).isPresent();
      for (String start :
          List.of("/api/v1/runs/" + tooLong + "/retry", "/api/v1/jobs/by-hand/runs")) {
        Answer also = server.post(start, ADMIN_TOKEN, null);
        assertThat(also.status()).as(start + ": " + also).isEqualTo(503);
        assertThat(also.errorCode()).isEqualTo("draining");
      }
      // A resend of a start whose answer was lost gets its run, draining or not.
      Answer resent = server.post("/api/v1/runs", ADMIN_TOKEN, survivesBody, key);
      assertThat(resent.status()).as(resent.toString()).isEqualTo(202);
      assertThat(resent.json().getLong("id")).isEqualTo(survivor);
      assertThat(resent.response().headers().firstValue("Idempotent-Replayed")).hasValue("true");
      assertThat(server.get("/api/v1/runs/" + tooLong, ADMIN_TOKEN).status())
          .as("reads are still served")
          .isEqualTo(200);

      JsonObject done = awaitStep(server, survivor, 0, "SUCCEEDED");
      JsonObject stopped = awaitRun(server, tooLong, "FAILED");
      assertThat(stopped.getJsonArray("steps").getJsonObject(0).getString("error"))
          .contains("node drained");
      // Lines reach the store on their own way, after the end: wait for the stop's own line.
      String log =
          Awaitility.await()
              .atMost(30, TimeUnit.SECONDS)
              .until(
                  () -> server.get("/api/v1/runs/" + tooLong + "/logs.txt", ADMIN_TOKEN).body(),
                  text -> text.contains("sending TERM"));
      assertThat(log)
          .as("the step's log says why it was stopped")
          .contains("node drained: still running after the shutdown grace")
          .doesNotContain("canceled");
      // The next step is not started on a draining node: it waits for another node.
      assertThat(done.getJsonArray("steps").getJsonObject(1).getString("status"))
          .isEqualTo("PENDING");
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(
              () -> server.post("/api/v1/nodes/" + node + "/drain", ADMIN_TOKEN, null).json(),
              s -> s.getString("state").equals("drained"));
      assertThat(run(server, survivor).getJsonArray("steps").getJsonObject(1).getString("status"))
          .isEqualTo("PENDING");
    }
    // The next start of the node takes over what the drain left.
    try (TestServer again = TestServer.start(config)) {
      JsonObject finished = awaitRun(again, survivor, "SUCCEEDED");
      assertThat(finished.getJsonArray("steps").getJsonObject(1).getString("status"))
          .isEqualTo("SUCCEEDED");
      assertThat(run(again, tooLong).getString("status")).isEqualTo("FAILED");
    }
  }

  @Test
  void a_drain_names_this_node_another_live_node_is_409_and_an_unknown_one_404() {
    Config config = TestServer.config(dir, TestDatabases.h2Settings(dir), null);
    try (TestServer server = TestServer.start(config)) {
      Instant now = Instant.now();
      new NodeLeaseRepository(server.nightshift().database().dsl())
          .renew(
              new NodeLeaseRepository.NodeLease(
                  "other-instance", "other-node", "elsewhere", 1, null, now.plusSeconds(3600)),
              now);
      Answer other = server.post("/api/v1/nodes/other-node/drain", ADMIN_TOKEN, null);
      assertThat(other.status()).as(other.toString()).isEqualTo(409);
      assertThat(other.errorMessage()).contains("other-node").contains(config.node());
      Answer unknown = server.post("/api/v1/nodes/nope/drain", ADMIN_TOKEN, null);
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(unknown.errorMessage()).contains("nope");
      String operator = server.token("op", "operator");
      assertThat(server.post("/api/v1/nodes/" + config.node() + "/drain", operator, null).status())
          .isEqualTo(403);
      assertThat(server.get("/ready", null).status()).isEqualTo(200);
    }
  }

  @Test
  void a_draining_node_claims_no_more_fires() {
    Config config = TestServer.config(dir, TestDatabases.h2Settings(dir), null);
    try (TestServer server = TestServer.start(config)) {
      createTemplate(server, "tick", "echo tick", null);
      JsonObject job =
          new JsonObject()
              .put("name", "every-second")
              .put("template", "tick")
              .put("schedule", new JsonObject().put("everySeconds", 1))
              .put("concurrency", "allow");
      assertThat(server.post("/api/v1/jobs", ADMIN_TOKEN, job.encode()).status()).isEqualTo(201);
      Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> fires(server) >= 2);

      assertThat(
              server.post("/api/v1/nodes/" + config.node() + "/drain", ADMIN_TOKEN, null).status())
          .isEqualTo(202);
      int atDrain = fires(server);
      // No new fire for 3 s in a row (it fired every second before the drain).
      java.util.concurrent.atomic.AtomicInteger last =
          new java.util.concurrent.atomic.AtomicInteger(-1);
      Awaitility.await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(20))
          .until(() -> fires(server) == last.getAndSet(fires(server)));
      assertThat(fires(server))
          .as("at most a fire in flight at the drain")
          .isLessThanOrEqualTo(atDrain + 1);
    }
  }

  static int fires(TestServer server) {
    return server
        .get("/api/v1/jobs/every-second/fires?limit=500", ADMIN_TOKEN)
        .json()
        .getJsonArray("items")
        .size();
  }

  @Test
  void sigterm_drains_before_the_process_exits() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String yaml =
        "node: drain-node\ndataDir: data\nhttp:\n  port: "
            + port
            + "\ndb:\n  url: \"jdbc:h2:file:"
            + dir.resolve("db/ns")
            + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;CASE_INSENSITIVE_IDENTIFIERS=TRUE\"\n"
            + "runs:\n  killGraceSeconds: 2\nshutdown:\n  graceSeconds: 4\n";
    Remote api = new Remote("http://127.0.0.1:" + port);
    try (ServiceProcess service =
        new ServiceProcess(dir, yaml, Map.of("NIGHTSHIFT_ADMIN_TOKEN", TOKEN))) {
      service.start();
      api.post("/api/v1/templates", template("survives", "sleep 2; echo done", null));
      api.post("/api/v1/templates", template("too-long", "sleep 60", null));
      long survivor = api.startRun("survives");
      long tooLong = api.startRun("too-long");
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(
              () ->
                  api.stepStatus(survivor).equals("RUNNING")
                      && api.stepStatus(tooLong).equals("RUNNING"));

      service.terminate();
      // While it drains, the console is still served (before, Vert.x's own shutdown hook removed
      // the files it serves it from: 500 for the whole drain).
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      java.util.function.Function<String, java.net.http.HttpResponse<String>> get =
          path -> {
            try {
              return http.send(
                  java.net.http.HttpRequest.newBuilder(
                          java.net.URI.create("http://127.0.0.1:" + port + path))
                      .build(),
                  java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (java.io.IOException e) {
              throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
              throw new IllegalStateException(e);
            }
          };
      Awaitility.await()
          .atMost(10, TimeUnit.SECONDS)
          .until(() -> get.apply("/ready").body().contains("draining since"));
      java.net.http.HttpResponse<String> page = get.apply("/");
      assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
      assertThat(page.body()).contains("<html");
      assertThat(service.output()).as("still draining").doesNotContain("nightshift: stopped");
      service.close(); // waits for the exit
      String stopping = service.output();

      service.start();
      JsonObject done = api.run(survivor);
      assertThat(done.getString("status"))
          .as(done.encodePrettily() + "\nservice output at SIGTERM:\n" + stopping)
          .isEqualTo("SUCCEEDED");
      JsonObject stopped = api.run(tooLong);
      assertThat(stopped.getString("status")).as(stopped.encodePrettily()).isEqualTo("FAILED");
      assertThat(stopped.getJsonArray("steps").getJsonObject(0).getString("error"))
          .contains("node drained")
          .doesNotContain("executor lost");
      assertThat(stopping).contains("drained").contains("nightshift: stopped");
    }
  }

  // ---- helpers

  static JsonObject template(String name, String first, String second) {
    JsonArray steps =
        new JsonArray()
            .add(
                new JsonObject().put("name", "first").put("kind", "command").put("command", first));
    if (second != null) {
      steps.add(
          new JsonObject().put("name", "second").put("kind", "command").put("command", second));
    }
    return new JsonObject().put("name", name).put("steps", steps);
  }

  static void createTemplate(TestServer server, String name, String first, String second) {
    Answer created =
        server.post("/api/v1/templates", ADMIN_TOKEN, template(name, first, second).encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
  }

  static long startRun(TestServer server, String template) {
    Answer started =
        server.post(
            "/api/v1/runs", ADMIN_TOKEN, new JsonObject().put("template", template).encode());
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    return started.json().getLong("id");
  }

  static JsonObject run(TestServer server, long id) {
    return server.get("/api/v1/runs/" + id, ADMIN_TOKEN).json();
  }

  static JsonObject awaitStep(TestServer server, long run, int step, String status) {
    return Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(
            () -> run(server, run),
            r -> r.getJsonArray("steps").getJsonObject(step).getString("status").equals(status));
  }

  static JsonObject awaitRun(TestServer server, long run, String status) {
    return Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> run(server, run), r -> r.getString("status").equals(status));
  }

  /** The API of a service in another JVM. */
  record Remote(String base) {
    static final HttpClient http = HttpClient.newHttpClient();

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
      HttpResponse<String> response =
          http.send(
              request
                  .header("Authorization", "Bearer " + TOKEN)
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      io.nightshift.web.ApiContract.get().check(response);
      return response;
    }

    JsonObject post(String path, JsonObject body) throws Exception {
      HttpResponse<String> answer =
          send(
              HttpRequest.newBuilder(URI.create(base + path))
                  .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
      assertThat(answer.statusCode()).as(answer.body()).isBetween(200, 299);
      return new JsonObject(answer.body());
    }

    long startRun(String template) throws Exception {
      return post("/api/v1/runs", new JsonObject().put("template", template)).getLong("id");
    }

    JsonObject run(long id) throws Exception {
      return new JsonObject(
          send(HttpRequest.newBuilder(URI.create(base + "/api/v1/runs/" + id))).body());
    }

    String stepStatus(long id) throws Exception {
      return run(id).getJsonArray("steps").getJsonObject(0).getString("status");
    }
  }
}
