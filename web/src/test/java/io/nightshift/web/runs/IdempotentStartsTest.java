package io.nightshift.web.runs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A request that starts a run, sent again with the same {@code Idempotency-Key} (a client that
 * never got the answer), answers the run the first copy started and starts no other; the same key
 * with a different request is refused. Runs of an approval-gated template stay active without a
 * process, so a job's forbid policy has something to refuse.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class IdempotentStartsTest {
  private TestServer server;

  abstract TestServer.Store store();

  @BeforeAll
  void start() {
    server = TestServer.start(store());
    JsonObject template =
        new JsonObject()
            .put("name", "gated")
            .put("params", new JsonArray().add(new JsonObject().put("name", "env")))
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "ok")
                            .put("kind", "approval")
                            .put("approvers", new JsonArray().add("role:admin"))));
    Answer created = server.post("/api/v1/templates", ADMIN_TOKEN, template.encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private Answer post(String path, String token, String body, String key) {
    return server.post(path, token, body, Map.of("Idempotency-Key", key));
  }

  private static long started(Answer answer) {
    assertThat(answer.status()).as(answer.toString()).isEqualTo(202);
    return answer.json().getLong("id");
  }

  private static boolean replayed(Answer answer) {
    return answer.response().headers().firstValue("Idempotent-Replayed").isPresent();
  }

  private int runsOf(String job) {
    return server
        .get("/api/v1/runs?job=" + job + "&limit=100", ADMIN_TOKEN)
        .json()
        .getJsonArray("items")
        .size();
  }

  private int runsOfTemplate() {
    return server
        .get("/api/v1/runs?template=gated&limit=500", ADMIN_TOKEN)
        .json()
        .getJsonArray("items")
        .size();
  }

  @Test
  void a_resent_run_request_answers_the_first_run_and_starts_no_other() {
    String body = "{\"template\":\"gated\",\"params\":{\"env\":\"prod\"}}";
    int before = runsOfTemplate();
    Answer first = post("/api/v1/runs", ADMIN_TOKEN, body, "deploy-7f3a");
    long run = started(first);
    assertThat(replayed(first)).isFalse();

    // The same request, its keys in another order: the same run, said in a header.
    Answer again =
        post(
            "/api/v1/runs",
            ADMIN_TOKEN,
            "{\"params\":{\"env\":\"prod\"},\"template\":\"gated\"}",
            "deploy-7f3a");
    assertThat(started(again)).isEqualTo(run);
    assertThat(replayed(again)).isTrue();
    assertThat(again.response().headers().firstValue("Location")).hasValue("/api/v1/runs/" + run);
    assertThat(runsOfTemplate()).isEqualTo(before + 1);

    // Without a key, every request starts a run of its own.
    long other = started(server.post("/api/v1/runs", ADMIN_TOKEN, body));
    assertThat(other).isNotEqualTo(run);
  }

  @Test
  void the_same_key_with_a_different_request_is_422_naming_the_run_it_started() {
    long run =
        started(
            post(
                "/api/v1/runs",
                ADMIN_TOKEN,
                "{\"template\":\"gated\",\"params\":{\"env\":\"a\"}}",
                "reused-key"));
    Answer refused =
        post(
            "/api/v1/runs",
            ADMIN_TOKEN,
            "{\"template\":\"gated\",\"params\":{\"env\":\"b\"}}",
            "reused-key");
    assertThat(refused.status()).as(refused.toString()).isEqualTo(422);
    assertThat(refused.errorCode()).isEqualTo("idempotency_key_reused");
    assertThat(refused.errorMessage()).contains("reused-key").contains("run " + run);
  }

  @Test
  void a_key_belongs_to_its_caller_another_tokens_same_key_starts_its_own_run() {
    String operator = server.token("idem-operator", "operator");
    String body = "{\"template\":\"gated\",\"params\":{\"env\":\"x\"}}";
    long mine = started(post("/api/v1/runs", ADMIN_TOKEN, body, "shared-key"));
    Answer theirs = post("/api/v1/runs", operator, body, "shared-key");
    assertThat(started(theirs)).isNotEqualTo(mine);
    assertThat(replayed(theirs)).isFalse();
  }

  @Test
  void a_malformed_key_is_400_naming_the_header_and_starts_nothing() {
    int before = runsOfTemplate();
    Map<String, String> said =
        Map.of(
            "",
            "an empty value",
            "x".repeat(256),
            "256 characters",
            "two words",
            "a space, control or non-ASCII character at position 4");
    said.forEach(
        (key, why) -> {
          Answer refused =
              post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"gated\",\"params\":{}}", key);
          assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
          assertThat(refused.errorMessage()).startsWith("Idempotency-Key: ").endsWith(why);
        });
    assertThat(runsOfTemplate()).isEqualTo(before);
  }

  @Test
  void a_resend_that_spells_a_default_out_is_the_same_request() {
    long run =
        started(post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"gated\"}", "spelled-out-1"));
    Answer resent =
        post(
            "/api/v1/runs",
            ADMIN_TOKEN,
            "{\"params\":{},\"template\":\"gated\",\"dryRun\":false,\"templateVersion\":null}",
            "spelled-out-1");
    assertThat(started(resent)).isEqualTo(run);
    assertThat(replayed(resent)).isTrue();
  }

  @Test
  void two_keys_in_one_request_are_400_and_start_nothing() throws Exception {
    int before = runsOfTemplate();
    java.net.http.HttpResponse<String> refused =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + server.port() + "/api/v1/runs"))
                    .header("Authorization", "Bearer " + ADMIN_TOKEN)
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", "first-key")
                    .header("Idempotency-Key", "second-key")
                    .POST(
                        java.net.http.HttpRequest.BodyPublishers.ofString(
                            "{\"template\":\"gated\"}"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
    assertThat(refused.body())
        .contains("Idempotency-Key: give one key, got 2 Idempotency-Key headers");
    assertThat(runsOfTemplate()).isEqualTo(before);
  }

  @Test
  void a_resent_run_now_of_a_forbid_job_answers_its_run_instead_of_409() {
    createJob("idem-forbid", "forbid");
    String path = "/api/v1/jobs/idem-forbid/runs";
    long run = started(post(path, ADMIN_TOKEN, null, "nightly-2026-12-04"));

    Answer resent = post(path, ADMIN_TOKEN, null, "nightly-2026-12-04");
    assertThat(started(resent)).isEqualTo(run);
    assertThat(replayed(resent)).isTrue();

    // A new request (another key) is a second run, which the policy refuses.
    Answer refused = post(path, ADMIN_TOKEN, null, "nightly-2026-12-05");
    assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
    assertThat(runsOf("idem-forbid")).isEqualTo(1);
  }

  @Test
  void a_resent_retry_answers_the_retry_it_started() {
    long failed = started(server.post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"gated\"}"));
    assertThat(server.post("/api/v1/runs/" + failed + "/cancel", ADMIN_TOKEN, null).status())
        .isEqualTo(200);
    String path = "/api/v1/runs/" + failed + "/retry";
    long retry = started(post(path, ADMIN_TOKEN, null, "retry-once"));
    Answer resent = post(path, ADMIN_TOKEN, null, "retry-once");
    assertThat(started(resent)).isEqualTo(retry);
    assertThat(replayed(resent)).isTrue();
    assertThat(server.get("/api/v1/runs/" + retry, ADMIN_TOKEN).json().getLong("retryOf"))
        .isEqualTo(failed);

    // The key names this retry: the same key on another run's retry is another request.
    Answer elsewhere = post("/api/v1/runs/" + retry + "/retry", ADMIN_TOKEN, null, "retry-once");
    assertThat(elsewhere.status()).as(elsewhere.toString()).isEqualTo(422);
  }

  /** {@code copies} copies of one request sent at once: every one answered 202 with one run. */
  private void copiesAtOnce(int copies, String path, String body, String key) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(copies);
    try {
      List<Callable<Answer>> sends =
          IntStream.range(0, copies)
              .<Callable<Answer>>mapToObj(i -> () -> post(path, ADMIN_TOKEN, body, key))
              .toList();
      List<Answer> answers = pool.invokeAll(sends).stream().map(IdempotentStartsTest::get).toList();
      Set<Long> runs =
          answers.stream().map(IdempotentStartsTest::started).collect(Collectors.toSet());
      assertThat(runs).hasSize(1);
      assertThat(answers.stream().filter(a -> !replayed(a)).count()).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void copies_of_one_request_sent_at_once_start_one_run_between_them() throws Exception {
    int before = runsOfTemplate();
    copiesAtOnce(
        8, "/api/v1/runs", "{\"template\":\"gated\",\"params\":{\"env\":\"race\"}}", "race");
    assertThat(runsOfTemplate()).isEqualTo(before + 1);
  }

  @Test
  void copies_of_a_run_now_of_a_forbid_job_sent_at_once_all_answer_its_one_run() throws Exception {
    // The copies wait on the job's lock: each sees the first copy's run active, which is its own.
    createJob("idem-forbid-race", "forbid");
    copiesAtOnce(8, "/api/v1/jobs/idem-forbid-race/runs", null, "race-forbid");
    assertThat(runsOf("idem-forbid-race")).isEqualTo(1);
  }

  @Test
  void a_resend_is_answered_even_after_the_job_it_named_was_deleted() {
    createJob("idem-deleted", "allow");
    long run = started(post("/api/v1/jobs/idem-deleted/runs", ADMIN_TOKEN, null, "before-delete"));
    Answer deleted = server.delete("/api/v1/jobs/idem-deleted", ADMIN_TOKEN);
    assertThat(deleted.status()).as(deleted.toString()).isEqualTo(204);

    Answer resent = post("/api/v1/jobs/idem-deleted/runs", ADMIN_TOKEN, null, "before-delete");
    assertThat(started(resent)).isEqualTo(run);
    assertThat(replayed(resent)).isTrue();
  }

  @Test
  void keys_that_differ_only_in_case_are_different_keys() {
    String body = "{\"template\":\"gated\",\"params\":{\"env\":\"case\"}}";
    long upper = started(post("/api/v1/runs", ADMIN_TOKEN, body, "Deploy-1"));
    Answer lower = post("/api/v1/runs", ADMIN_TOKEN, body, "deploy-1");
    assertThat(started(lower)).isNotEqualTo(upper);
    assertThat(replayed(lower)).isFalse();
  }

  private void createJob(String name, String concurrency) {
    JsonObject job =
        new JsonObject()
            .put("name", name)
            .put("template", "gated")
            .put("concurrency", concurrency)
            .put("params", new JsonObject().put("env", "prod"))
            .put("schedule", new JsonObject().put("at", "2099-01-01T00:00:00Z"));
    Answer created = server.post("/api/v1/jobs", ADMIN_TOKEN, job.encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
  }

  private static Answer get(Future<Answer> answer) {
    try {
      return answer.get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
