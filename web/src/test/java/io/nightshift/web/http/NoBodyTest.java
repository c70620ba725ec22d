package io.nightshift.web.http;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routes that take no body, on the real server: a key is 400 naming it and nothing is done (a drain
 * sent {@code {"graceSeconds": 1}} does not drain with the configured grace), a body that is not
 * JSON is 400, and an empty body or {@code {}} (what the CLI and the console send) still works.
 */
class NoBodyTest {
  static final String FORM = "application/x-www-form-urlencoded";
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(TestServer.Store.H2);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** Every POST, PUT and DELETE under /api/v1 of the OpenAPI document without a requestBody. */
  @SuppressWarnings("unchecked")
  static List<String> operationsWithoutBody() throws Exception {
    Map<String, Object> doc = io.nightshift.web.ApiContract.document().getMap();
    List<String> out = new ArrayList<>();
    ((Map<String, Object>) doc.get("paths"))
        .forEach(
            (path, value) -> {
              Map<String, Object> ops = (Map<String, Object>) value;
              for (String method : List.of("post", "put", "delete")) {
                Map<String, Object> op = (Map<String, Object>) ops.get(method);
                if (path.startsWith("/api/v1/") && op != null && !op.containsKey("requestBody")) {
                  out.add(
                      method.toUpperCase(java.util.Locale.ROOT)
                          + " "
                          + path.replace("{id}", "1").replace("{name}", "nothing-here"));
                }
              }
            });
    return out;
  }

  @Test
  void every_route_without_a_body_refuses_keys_naming_each_and_a_body_that_is_not_json()
      throws Exception {
    List<String> operations = operationsWithoutBody();
    assertThat(operations)
        .contains(
            "POST /api/v1/runs/1/cancel",
            "POST /api/v1/jobs/nothing-here/pause",
            "POST /api/v1/jobs/nothing-here/resume",
            "POST /api/v1/nodes/nothing-here/drain",
            "DELETE /api/v1/jobs/nothing-here",
            "DELETE /api/v1/templates/nothing-here",
            "DELETE /api/v1/tokens/nothing-here");
    for (String operation : operations) {
      String method = operation.substring(0, operation.indexOf(' '));
      String path = operation.substring(operation.indexOf(' ') + 1);
      Answer keys =
          server.send(method, path, ADMIN_TOKEN, "{\"reason\": \"x\", \"graceSeconds\": 1}");
      assertThat(keys.status()).as(operation + ": " + keys).isEqualTo(400);
      JsonArray details = keys.json().getJsonObject("error").getJsonArray("details");
      assertThat(details.stream().map(d -> ((JsonObject) d).getString("field")))
          .as(operation)
          .containsExactly("graceSeconds", "reason");
      assertThat(details.getJsonObject(0).getString("message"))
          .isEqualTo("unknown field; this endpoint takes no body");

      Answer garbage = server.send(method, path, ADMIN_TOKEN, "garbage", FORM);
      assertThat(garbage.status()).as(operation + ": " + garbage).isEqualTo(400);
      assertThat(garbage.errorMessage()).as(operation).startsWith("body: is not valid JSON");

      Answer array = server.send(method, path, ADMIN_TOKEN, "[1]");
      assertThat(array.status()).as(operation + ": " + array).isEqualTo(400);
      assertThat(array.errorMessage()).as(operation).startsWith("body:");
    }
  }

  @Test
  void a_caller_without_the_permission_is_403_whatever_body_it_sends() throws Exception {
    String viewer = server.token("no-body-viewer", "viewer");
    for (String operation : operationsWithoutBody()) {
      String method = operation.substring(0, operation.indexOf(' '));
      String path = operation.substring(operation.indexOf(' ') + 1);
      Answer keys = server.send(method, path, viewer, "{\"graceSeconds\": 1}");
      assertThat(keys.status()).as(operation + ": " + keys).isEqualTo(403);
      Answer garbage = server.send(method, path, viewer, "garbage", FORM);
      assertThat(garbage.status()).as(operation + ": " + garbage).isEqualTo(403);
    }
  }

  @Test
  void a_drain_with_a_grace_is_refused_naming_it_and_the_node_keeps_serving() {
    String node = server.nightshift().config().node();
    Answer refused =
        server.send(
            "POST", "/api/v1/nodes/" + node + "/drain", ADMIN_TOKEN, "{\"graceSeconds\":1}", FORM);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
    assertThat(refused.errorCode()).isEqualTo("validation_failed");
    assertThat(refused.errorMessage())
        .isEqualTo("graceSeconds: unknown field; this endpoint takes no body");
    JsonObject self =
        server.get("/api/v1/nodes", ADMIN_TOKEN).json().getJsonArray("items").getJsonObject(0);
    assertThat(self.getString("name")).isEqualTo(node);
    assertThat(self.getString("state")).isEqualTo("serving");
    assertThat(server.get("/ready", null).status()).isEqualTo(200);
  }

  @Test
  void a_drain_with_an_empty_object_or_no_body_drains(@TempDir Path dir) {
    try (TestServer own =
        TestServer.start(TestServer.config(dir, TestDatabases.h2Settings(dir), null))) {
      String drain = "/api/v1/nodes/" + own.nightshift().config().node() + "/drain";
      Answer empty = own.post(drain, ADMIN_TOKEN, "{}");
      assertThat(empty.status()).as(empty.toString()).isEqualTo(202);
      assertThat(empty.json().getString("state")).isIn("draining", "drained");
      Answer none = own.post(drain, ADMIN_TOKEN, null);
      assertThat(none.status()).as(none.toString()).isEqualTo(202);
    }
  }

  @Test
  void a_cancel_with_a_reason_is_refused_and_the_run_goes_on_until_canceled_without_one() {
    template("no-body-sleep", "sleep 60");
    long first = run("no-body-sleep");
    long second = run("no-body-sleep");
    awaitStatus(first, "RUNNING");
    awaitStatus(second, "RUNNING");

    Answer refused =
        server.post(
            "/api/v1/runs/" + first + "/cancel", ADMIN_TOKEN, "{\"reason\":\"maintenance\"}");
    assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
    assertThat(refused.errorMessage()).startsWith("reason: unknown field");
    assertThat(status(first)).isEqualTo("RUNNING");

    assertThat(server.post("/api/v1/runs/" + first + "/cancel", ADMIN_TOKEN, "{}").status())
        .isEqualTo(200);
    assertThat(server.post("/api/v1/runs/" + second + "/cancel", ADMIN_TOKEN, null).status())
        .isEqualTo(200);
    awaitStatus(first, "CANCELED");
    awaitStatus(second, "CANCELED");
  }

  @Test
  void pause_and_resume_with_garbage_are_refused_and_work_with_no_body_or_an_empty_object() {
    template("no-body-job-t", "true");
    Answer created =
        server.put(
            "/api/v1/jobs/no-body-job",
            ADMIN_TOKEN,
            new JsonObject()
                .put("template", "no-body-job-t")
                .put("schedule", new JsonObject().put("everySeconds", 3600))
                .encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String job = "/api/v1/jobs/no-body-job";

    Answer garbage = server.send("POST", job + "/pause", ADMIN_TOKEN, "garbage", FORM);
    assertThat(garbage.status()).as(garbage.toString()).isEqualTo(400);
    assertThat(garbage.errorMessage()).startsWith("body: is not valid JSON");
    assertThat(enabled(job)).isTrue();

    assertThat(server.post(job + "/pause", ADMIN_TOKEN, null).status()).isEqualTo(200);
    assertThat(enabled(job)).isFalse();
    assertThat(server.send("POST", job + "/resume", ADMIN_TOKEN, "garbage", FORM).status())
        .isEqualTo(400);
    assertThat(enabled(job)).isFalse();
    assertThat(server.post(job + "/resume", ADMIN_TOKEN, "{}").status()).isEqualTo(200);
    assertThat(enabled(job)).isTrue();
    assertThat(server.post(job + "/pause", ADMIN_TOKEN, "{}").status()).isEqualTo(200);
    assertThat(server.post(job + "/resume", ADMIN_TOKEN, null).status()).isEqualTo(200);

    assertThat(server.send("DELETE", job, ADMIN_TOKEN, "{\"cascade\":true}").status())
        .isEqualTo(400);
    assertThat(server.get(job, ADMIN_TOKEN).status()).isEqualTo(200);
    assertThat(server.send("DELETE", job, ADMIN_TOKEN, "{}").status()).isEqualTo(204);
    assertThat(server.delete("/api/v1/templates/no-body-job-t", ADMIN_TOKEN).status())
        .isEqualTo(204);
  }

  // ---- helpers

  static void template(String name, String command) {
    JsonObject body =
        new JsonObject()
            .put("name", name)
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "only")
                            .put("kind", "command")
                            .put("command", command)));
    Answer answer = server.put("/api/v1/templates/" + name, ADMIN_TOKEN, body.encode());
    assertThat(answer.status()).as(answer.toString()).isIn(200, 201);
  }

  static long run(String template) {
    Answer started =
        server.post(
            "/api/v1/runs", ADMIN_TOKEN, new JsonObject().put("template", template).encode());
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    return started.json().getLong("id");
  }

  static String status(long run) {
    return server.get("/api/v1/runs/" + run, ADMIN_TOKEN).json().getString("status");
  }

  static void awaitStatus(long run, String status) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> status(run).equals(status));
  }

  static boolean enabled(String job) {
    return server.get(job, ADMIN_TOKEN).json().getBoolean("enabled");
  }
}
