package io.nightshift.web.notify;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.TestSteps.command;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.sun.net.httpserver.HttpServer;
import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.notify.Notifier;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A real webhook receiver on loopback: payloads, masking, signature, retry after a 500. */
class WebhookTest {
  record Received(
      String event,
      String signature,
      String timestamp,
      String attempt,
      String contentType,
      String body) {}

  static final String PUBLIC_URL = "https://nightshift.example";

  HttpServer receiver;
  final List<Received> received = new CopyOnWriteArrayList<>();
  final AtomicInteger calls = new AtomicInteger();
  volatile boolean failFirst = true;
  TestServer server;

  @BeforeEach
  void start() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          received.add(
              new Received(
                  exchange.getRequestHeaders().getFirst("X-Nightshift-Event"),
                  exchange.getRequestHeaders().getFirst("X-Nightshift-Signature"),
                  exchange.getRequestHeaders().getFirst("X-Nightshift-Timestamp"),
                  exchange.getRequestHeaders().getFirst("X-Nightshift-Attempt"),
                  exchange.getRequestHeaders().getFirst("Content-Type"),
                  body));
          // The first delivery fails: it must be retried.
          exchange.sendResponseHeaders(calls.incrementAndGet() == 1 && failFirst ? 500 : 204, -1);
          exchange.close();
        });
    receiver.start();
    Path dataDir = TempFolders.create("nightshift-webhooks-");
    Config config = TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null);
    server = TestServer.start(config.withHttp(config.http().withPublicUrl(PUBLIC_URL)));
  }

  @AfterEach
  void stop() {
    server.close();
    receiver.stop(0);
  }

  String hookUrl() {
    return "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
  }

  @Test
  void run_events_arrive_signed_and_masked_and_a_failed_delivery_is_retried() {
    JsonObject template =
        new JsonObject()
            .put("name", "hooked")
            .put(
                "params",
                new JsonArray().add(new JsonObject().put("name", "pw").put("secret", true)))
            .put(
                "notify",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("url", hookUrl())
                            .put("events", new JsonArray().add("run.*"))
                            .put("secret", "hook-secret")))
            .put("steps", new JsonArray().add(command("a", "echo $pw")));
    Answer created = server.post("/api/v1/templates", ADMIN_TOKEN, template.encode());
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.json().getJsonArray("notify").getJsonObject(0).getString("secret"))
        .isEqualTo("******");
    long runId =
        server
            .post(
                "/api/v1/runs",
                ADMIN_TOKEN,
                "{\"template\":\"hooked\",\"params\":{\"pw\":\"hunter2\"}}")
            .json()
            .getLong("id");

    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> received.stream().filter(r -> "run.running".equals(r.event())).count() >= 2);
    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> received.stream().anyMatch(r -> "run.succeeded".equals(r.event())));

    for (Received r : received) {
      assertThat(r.body()).doesNotContain("hunter2");
      assertThat(Long.parseLong(r.timestamp()))
          .isCloseTo(Instant.now().getEpochSecond(), within(300L));
      assertThat(r.signature())
          .isEqualTo("sha256=" + Notifier.sign("hook-secret", r.timestamp() + "." + r.body()));
      JsonObject payload = new JsonObject(r.body());
      assertThat(payload.getLong("runId")).isEqualTo(runId);
      assertThat(payload.getString("template")).isEqualTo("hooked");
      assertThat(payload.getJsonObject("params").getString("pw")).isEqualTo("******");
      assertThat(payload.getString("link")).isEqualTo(PUBLIC_URL + "/api/v1/runs/" + runId);
      assertThat(payload.getString("at")).endsWith("Z");
    }
    JsonObject succeeded =
        received.stream()
            .filter(r -> "run.succeeded".equals(r.event()))
            .map(r -> new JsonObject(r.body()))
            .findFirst()
            .orElseThrow();
    assertThat(succeeded.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(succeeded.getString("previousStatus")).isEqualTo("RUNNING");
    assertThat(
            received.stream().filter(r -> "run.running".equals(r.event())).map(Received::attempt))
        .contains("1", "2");

    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              JsonArray deliveries =
                  server
                      .get("/api/v1/runs/" + runId, ADMIN_TOKEN)
                      .json()
                      .getJsonArray("webhookDeliveries");
              assertThat(deliveries.stream().map(d -> ((JsonObject) d).getInteger("statusCode")))
                  .contains(500, 204);
              assertThat(deliveries.stream().map(d -> ((JsonObject) d).getInteger("attempt")))
                  .contains(1, 2);
            });
  }

  @Test
  void approval_requested_and_decided_are_notified_and_the_run_is_not_held_by_a_webhook() {
    JsonObject template =
        new JsonObject()
            .put("name", "gated")
            .put(
                "notify",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("url", hookUrl())
                            .put("events", new JsonArray().add("approval.*"))))
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "qa")
                            .put("kind", "approval")
                            .put("approvers", new JsonArray().add("role:qa"))
                            .put("message", "ship it?")));
    assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, template.encode()).status())
        .isEqualTo(201);
    long runId =
        server.post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"gated\"}").json().getLong("id");
    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> received.stream().anyMatch(r -> "approval.requested".equals(r.event())));
    JsonObject requested =
        received.stream()
            .filter(r -> "approval.requested".equals(r.event()))
            .map(r -> new JsonObject(r.body()))
            .findFirst()
            .orElseThrow();
    assertThat(requested.getString("status"))
        .isEqualTo(server.get("/api/v1/runs/" + runId, ADMIN_TOKEN).json().getString("status"))
        .isEqualTo("WAITING_APPROVAL");
    long approvalId =
        server
            .get("/api/v1/approvals?run=" + runId, ADMIN_TOKEN)
            .json()
            .getJsonArray("items")
            .getJsonObject(0)
            .getLong("id");
    Answer denied =
        server.post(
            "/api/v1/approvals/" + approvalId + "/deny",
            ADMIN_TOKEN,
            "{\"comment\":\"not today\"}");
    assertThat(denied.status()).as(denied.toString()).isEqualTo(200);
    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> received.stream().anyMatch(r -> "approval.decided".equals(r.event())));
    JsonObject decided =
        received.stream()
            .filter(r -> "approval.decided".equals(r.event()))
            .map(r -> new JsonObject(r.body()))
            .findFirst()
            .orElseThrow();
    assertThat(decided.getJsonObject("approval").getString("status")).isEqualTo("DENIED");
    assertThat(decided.getJsonObject("approval").getString("decidedBy")).isEqualTo("admin");
    assertThat(decided.getJsonObject("approval").getString("comment")).isEqualTo("not today");
    assertThat(received.stream().map(Received::signature)).containsOnlyNulls();
    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(
            () ->
                "FAILED"
                    .equals(
                        server
                            .get("/api/v1/runs/" + runId, ADMIN_TOKEN)
                            .json()
                            .getString("status")));
  }

  @Test
  void a_run_that_fails_and_rolls_back_sends_run_failed_when_it_fails_then_the_rollback_events() {
    failFirst = false;
    JsonObject template =
        new JsonObject()
            .put("name", "undone")
            .put("onFailure", "rollback")
            .put(
                "notify",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("url", hookUrl())
                            .put("events", new JsonArray().add("run.*"))))
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "change")
                            .put("kind", "command")
                            .put("command", "true")
                            .put("undo", "true"))
                    .add(command("break", "exit 3")));
    assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, template.encode()).status())
        .isEqualTo(201);
    server.post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"undone\"}");

    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> received.stream().anyMatch(r -> "run.rolled_back".equals(r.event())));
    JsonObject failed = event("run.failed");
    JsonObject rollingBack = event("run.rolling_back");
    JsonObject rolledBack = event("run.rolled_back");
    assertThat(failed.getString("status")).isEqualTo("ROLLING_BACK");
    assertThat(failed.getString("error")).contains("break");
    assertThat(Instant.parse(failed.getString("at")))
        .isBeforeOrEqualTo(Instant.parse(rollingBack.getString("at")))
        .isBeforeOrEqualTo(Instant.parse(rolledBack.getString("at")));
  }

  @Test
  void a_notify_step_with_a_json_body_sends_it_as_application_json() {
    failFirst = false;
    JsonObject template =
        new JsonObject()
            .put("name", "announce")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "json")
                            .put("kind", "notify")
                            .put("url", hookUrl())
                            .put("body", "{\"text\": \"done\"}"))
                    .add(
                        new JsonObject()
                            .put("name", "plain")
                            .put("kind", "notify")
                            .put("url", hookUrl())
                            .put("headers", new JsonObject().put("Content-Type", "text/plain"))
                            .put("body", "{\"text\": \"as told\"}")));
    assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, template.encode()).status())
        .isEqualTo(201);
    server.post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"announce\"}");

    Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> received.size() >= 2);
    assertThat(received.stream().filter(r -> r.body().contains("done")).map(Received::contentType))
        .containsExactly("application/json");
    assertThat(
            received.stream().filter(r -> r.body().contains("as told")).map(Received::contentType))
        .containsExactly("text/plain");
  }

  @Test
  void webhook_urls_that_cannot_be_sent_to_are_refused_naming_the_field() {
    for (String url : new String[] {"http://exa mple/x", "http://example:99999/x", "http:///x"}) {
      JsonObject template =
          new JsonObject()
              .put("name", "bad-hook")
              .put("notify", new JsonArray().add(new JsonObject().put("url", url)))
              .put(
                  "steps",
                  new JsonArray()
                      .add(
                          new JsonObject()
                              .put("name", "say")
                              .put("kind", "notify")
                              .put("url", url)));
      Answer refused = server.post("/api/v1/templates", ADMIN_TOKEN, template.encode());
      assertThat(refused.status()).as(url).isEqualTo(400);
      assertThat(refused.body()).contains("notify[0].url").contains("steps[0].url");
    }
  }

  @Test
  void a_jobs_fire_that_starts_no_run_is_sent_to_the_jobs_webhooks_signed_and_once() {
    failFirst = false;
    Answer template =
        server.post(
            "/api/v1/templates",
            ADMIN_TOKEN,
            new JsonObject()
                .put("name", "backup")
                .put("steps", new JsonArray().add(command("dump", "sleep 3")))
                .encode());
    assertThat(template.status()).as(template.toString()).isEqualTo(201);
    JsonObject job =
        new JsonObject()
            .put("name", "nightly")
            .put("template", "backup")
            .put("schedule", new JsonObject().put("everySeconds", 1))
            .put("concurrency", "forbid")
            .put(
                "notify",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("url", hookUrl())
                            .put("events", new JsonArray().add("job.*"))
                            .put("secret", "job-secret")));
    Answer created = server.post("/api/v1/jobs", ADMIN_TOKEN, job.encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);

    // A fire while the 3-second run is active is skipped (forbid): the job's webhook hears it.
    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> received.stream().anyMatch(r -> "job.fire_skipped".equals(r.event())));
    JsonObject skipped = event("job.fire_skipped");
    assertThat(skipped.getString("job")).isEqualTo("nightly");
    assertThat(skipped.getString("template")).isEqualTo("backup");
    assertThat(skipped.getLong("otherRun")).isNotNull();
    assertThat(skipped.getString("reason")).contains("run " + skipped.getLong("otherRun"));
    assertThat(skipped.getString("link")).isEqualTo(PUBLIC_URL + "/api/v1/jobs/nightly/fires");

    // The template now needs a parameter the job does not give: its fires fail to start.
    Answer changed =
        server.put(
            "/api/v1/templates/backup",
            ADMIN_TOKEN,
            new JsonObject()
                .put("name", "backup")
                .put(
                    "params",
                    new JsonArray()
                        .add(new JsonObject().put("name", "target").put("required", true)))
                .put("steps", new JsonArray().add(command("dump", "echo $target")))
                .encode());
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> received.stream().anyMatch(r -> "job.fire_failed".equals(r.event())));
    assertThat(server.post("/api/v1/jobs/nightly/pause", ADMIN_TOKEN, null).status())
        .isEqualTo(200);
    JsonObject failed = event("job.fire_failed");
    assertThat(failed.getString("job")).isEqualTo("nightly");
    assertThat(failed.getString("reason")).contains("target");
    assertThat(failed.getValue("otherRun")).isNull();
    assertThat(Instant.parse(failed.getString("scheduledAt"))).isNotNull();

    // Each fire once (its own deliveryId and eventId), signed with the job's webhook's secret;
    // the job's runs themselves are not sent (it asked for job.* only).
    List<JsonObject> fires =
        received.stream()
            .filter(r -> r.event().startsWith("job."))
            .map(r -> new JsonObject(r.body()))
            .toList();
    assertThat(fires.stream().map(f -> f.getString("deliveryId"))).doesNotHaveDuplicates();
    assertThat(fires.stream().map(f -> f.getLong("eventId"))).doesNotHaveDuplicates();
    assertThat(received).allMatch(r -> r.event().startsWith("job."));
    for (Received r : received) {
      assertThat(r.signature())
          .isEqualTo("sha256=" + Notifier.sign("job-secret", r.timestamp() + "." + r.body()));
    }
    // Each attempt is listed on the job, newest first (a run's are on the run).
    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> deliveriesOfJob("nightly").size() >= received.size());
    JsonArray attempts = deliveriesOfJob("nightly");
    assertThat(attempts.stream().map(a -> ((JsonObject) a).getString("event")))
        .contains("job.fire_skipped", "job.fire_failed");
    JsonObject newest = attempts.getJsonObject(0);
    assertThat(newest.getString("url")).isEqualTo(hookUrl());
    assertThat(newest.getInteger("statusCode")).as("what the receiver answered").isEqualTo(204);
    assertThat(newest.getInteger("attempt")).isEqualTo(1);
    assertThat(Instant.parse(newest.getString("at"))).isNotNull();
    assertThat(server.get("/api/v1/jobs/nowhere/deliveries", ADMIN_TOKEN).status()).isEqualTo(404);
  }

  private JsonArray deliveriesOfJob(String job) {
    Answer answer = server.get("/api/v1/jobs/" + job + "/deliveries?limit=200", ADMIN_TOKEN);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    return answer.json().getJsonArray("items");
  }

  @Test
  void a_templates_webhook_cannot_ask_for_a_jobs_fire_events() {
    JsonObject template =
        new JsonObject()
            .put("name", "wrong-place")
            .put(
                "notify",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("url", hookUrl())
                            .put("events", new JsonArray().add("job.fire_failed"))))
            .put("steps", new JsonArray().add(command("a", "true")));
    Answer refused = server.post("/api/v1/templates", ADMIN_TOKEN, template.encode());
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.body()).contains("notify[0].events[0]").contains("job's notify");
  }

  private JsonObject event(String name) {
    return received.stream()
        .filter(r -> name.equals(r.event()))
        .map(r -> new JsonObject(r.body()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " among " + received));
  }
}
