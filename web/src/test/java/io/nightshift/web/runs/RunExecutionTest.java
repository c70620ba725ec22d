package io.nightshift.web.runs;

import static io.nightshift.web.TestSteps.command;
import static io.nightshift.web.runs.RunsApi.read;
import static io.nightshift.web.runs.RunsApi.step;
import static io.nightshift.web.runs.RunsApi.stepStatus;
import static io.nightshift.web.runs.RunsApi.texts;
import static io.nightshift.web.runs.RunsApi.time;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * How runs execute, over real HTTP: parallel steps, timeouts and cancel killing process trees,
 * retries, ignoreFailure, retry from the failed step and HTTP steps. Run once per store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RunExecutionTest {
  static final String ISO_MILLIS = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

  RunsApi api;

  abstract TestServer.Store store();

  @BeforeAll
  void start() {
    api = RunsApi.start(store());
  }

  @AfterAll
  void stop() {
    api.close();
  }

  /** A step that touches its own marker and waits (10 s at most) for the other's. */
  static String meetThe(String me, String other) {
    return "touch \"$dir/"
        + me
        + "\"; i=0; while [ ! -f \"$dir/"
        + other
        + "\" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; test -f \"$dir/"
        + other
        + "\"";
  }

  @Test
  void a_parallel_pair_overlaps_and_the_step_needing_both_starts_after_both_ended() {
    Path dir = RunsApi.tempDir();
    String template =
        api.templateWithDir(
            "parallel",
            command("left", meetThe("left", "right")),
            command("right", meetThe("right", "left")).put("needs", new JsonArray()),
            command("join", "echo joined").put("needs", new JsonArray().add("left").add("right")));

    Answer started = api.post(template, new JsonObject().put("dir", dir.toString()));
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    long id = started.json().getLong("id");
    assertThat(started.response().headers().firstValue("Location")).hasValue("/api/v1/runs/" + id);
    JsonObject run = api.awaitEnd(id);

    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
    assertThat(run.getLong("id")).isEqualTo(id);
    assertThat(run.getString("template")).isEqualTo(template);
    assertThat(run.getInteger("templateVersion")).isEqualTo(1);
    assertThat(run.getString("trigger")).isEqualTo("api");
    assertThat(run.getString("triggeredBy")).isEqualTo(api.operatorName);
    assertThat(run.getJsonObject("params").getString("dir")).isEqualTo(dir.toString());
    assertThat(run.getString("createdAt")).matches(ISO_MILLIS);
    assertThat(run.getString("startedAt")).matches(ISO_MILLIS);
    assertThat(run.getString("finishedAt")).matches(ISO_MILLIS);
    assertThat(run.getValue("error")).isNull();
    assertThat(run.getJsonArray("steps").stream().map(s -> ((JsonObject) s).getString("name")))
        .containsExactly("left", "right", "join");
    for (Object o : run.getJsonArray("steps")) {
      JsonObject s = (JsonObject) o;
      assertThat(s.getString("kind")).isEqualTo("command");
      assertThat(s.getString("status")).isEqualTo("SUCCEEDED");
      assertThat(s.getInteger("attempt")).isEqualTo(1);
      assertThat(s.getInteger("exitCode")).isEqualTo(0);
      assertThat(s.getString("startedAt")).matches(ISO_MILLIS);
      assertThat(s.getString("finishedAt")).matches(ISO_MILLIS);
      assertThat(s.getValue("error")).isNull();
    }
    // Each of the pair waited for the other's marker, so they ran at the same time; the stored
    // times say the same.
    JsonObject left = step(run, "left");
    JsonObject right = step(run, "right");
    JsonObject join = step(run, "join");
    assertThat(time(left, "startedAt")).isBeforeOrEqualTo(time(right, "finishedAt"));
    assertThat(time(right, "startedAt")).isBeforeOrEqualTo(time(left, "finishedAt"));
    assertThat(time(join, "startedAt"))
        .isAfterOrEqualTo(time(left, "finishedAt"))
        .isAfterOrEqualTo(time(right, "finishedAt"));
    assertThat(time(run, "finishedAt")).isAfterOrEqualTo(time(join, "finishedAt"));

    Answer list = api.server.get("/api/v1/runs?template=" + template, api.operator);
    assertThat(list.status()).isEqualTo(200);
    JsonObject summary = list.json().getJsonArray("items").getJsonObject(0);
    assertThat(summary.getLong("id")).isEqualTo(id);
    assertThat(summary.getString("status")).isEqualTo("SUCCEEDED");
  }

  // ---- timeout and cancel

  /** Records its own pid and a background child's, then sleeps. */
  static final String SLEEPER =
      "echo $$ > \"$dir/main.pid\"; sleep 1000 & echo $! > \"$dir/child.pid\"; sleep 1000";

  static boolean gone(long pid) {
    Path stat = Path.of("/proc/" + pid + "/stat");
    try {
      String text = Files.readString(stat);
      // The state follows the command name in parentheses: a zombie no longer runs.
      return text.substring(text.lastIndexOf(')') + 2).startsWith("Z");
    } catch (IOException e) {
      return true;
    }
  }

  static long pid(Path file) {
    return Long.parseLong(read(file));
  }

  void assertTreeKilled(Path dir) {
    long main = pid(dir.resolve("main.pid"));
    long child = pid(dir.resolve("child.pid"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(gone(main)).as("main process %d is gone", main).isTrue();
              assertThat(gone(child)).as("background child %d is gone", child).isTrue();
            });
  }

  @Test
  void a_timeout_kills_the_whole_process_tree_and_the_step_ends_timed_out() {
    Path dir = RunsApi.tempDir();
    String template =
        api.templateWithDir("timeout", command("sleepy", SLEEPER).put("timeoutSeconds", 1));

    JsonObject run = api.awaitEnd(api.start(template, dir));

    JsonObject sleepy = step(run, "sleepy");
    assertThat(sleepy.getString("status")).as(run.encodePrettily()).isEqualTo("TIMED_OUT");
    assertThat(sleepy.getString("error")).contains("timed out");
    assertThat(run.getString("status")).isEqualTo("TIMED_OUT");
    assertThat(run.getString("error")).contains("sleepy").contains("timed out");
    assertTreeKilled(dir);
  }

  @Test
  void
      cancel_kills_the_running_tree_the_run_is_canceling_until_its_step_ended_and_a_second_cancel_is_409() {
    Path dir = RunsApi.tempDir();
    String template =
        api.templateWithDir(
            "cancel", command("sleepy", SLEEPER), command("later", "echo never runs"));
    long id = api.start(template, dir);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                Files.exists(dir.resolve("child.pid"))
                    && !read(dir.resolve("child.pid")).isEmpty());

    Answer cancel = api.server.post("/api/v1/runs/" + id + "/cancel", api.operator, null);

    assertThat(cancel.status()).as(cancel.toString()).isEqualTo(200);
    // Its step still runs when the answer is sent: the run is not over until the step ended.
    assertThat(cancel.json().getString("status")).isEqualTo("CANCELING");
    assertThat(stepStatus(cancel.json(), "later")).isEqualTo("CANCELED");
    Answer during = api.server.post("/api/v1/runs/" + id + "/cancel", api.operator, null);
    JsonObject run =
        api.await(
            id,
            r -> {
              boolean stepRuns = stepStatus(r, "sleepy").equals("RUNNING");
              assertThat(stepRuns && RunsApi.TERMINAL.contains(r.getString("status")))
                  .as("a run is never over while its step runs: %s", r)
                  .isFalse();
              return !stepRuns && r.getString("status").equals("CANCELED");
            });
    assertThat(during.status()).as(during.toString()).isEqualTo(409);
    assertThat(run.getString("error")).contains(api.operatorName);
    assertThat(stepStatus(run, "sleepy")).as(run.encodePrettily()).isEqualTo("CANCELED");
    assertThat(stepStatus(run, "later")).isEqualTo("CANCELED");
    assertTreeKilled(dir);

    Answer again = api.server.post("/api/v1/runs/" + id + "/cancel", api.operator, null);
    assertThat(again.status()).as(again.toString()).isEqualTo(409);
    assertThat(again.errorCode()).isEqualTo("conflict");
    assertThat(api.run(id).getString("status")).isEqualTo("CANCELED");
  }

  @Test
  void cancel_of_an_unknown_run_is_404() {
    assertThat(api.server.post("/api/v1/runs/987654321/cancel", api.operator, null).status())
        .isEqualTo(404);
  }

  @Test
  void a_step_that_cannot_start_fails_and_the_run_ends_failed() {
    // A literal URL that cannot be sent is refused when the template is saved; one built from a
    // run's value can only fail when the step starts.
    String template =
        api.template(
            "cannot-start",
            new JsonArray().add(RunsApi.param("host")),
            new JsonObject()
                .put("name", "bad-url")
                .put("kind", "http")
                .put("url", "http://$host:9/x"),
            command("after", "echo after"));

    JsonObject run =
        api.awaitEnd(api.start(template, new JsonObject().put("host", "no such host")));

    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("FAILED");
    assertThat(step(run, "bad-url").getString("status")).isEqualTo("FAILED");
    assertThat(step(run, "bad-url").getString("error")).startsWith("cannot start");
    assertThat(stepStatus(run, "after")).isEqualTo("SKIPPED");
  }

  // ---- retries

  /** Counts its runs in {@code $dir/NAME}; fails while the count is below {@code succeedAt}. */
  static String counting(String name, int succeedAt) {
    return "n=$(cat \"$dir/"
        + name
        + "\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$dir/"
        + name
        + "\"; echo \"attempt $n\"; [ $n -ge "
        + succeedAt
        + " ]";
  }

  @Test
  void a_step_that_fails_once_succeeds_at_attempt_2_after_the_backoff_with_both_attempts_shown() {
    Path dir = RunsApi.tempDir();
    String template =
        api.templateWithDir(
            "retries",
            command("flaky", counting("count", 2)).put("retries", 2).put("retryBackoffSeconds", 1));

    long id = api.start(template, dir);
    JsonObject run = api.awaitEnd(id);

    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
    JsonObject flaky = step(run, "flaky");
    assertThat(flaky.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(flaky.getInteger("attempt")).isEqualTo(2);
    JsonArray attempts = flaky.getJsonArray("attempts");
    assertThat(attempts).as(flaky.encodePrettily()).hasSize(2);
    JsonObject first = attempts.getJsonObject(0);
    JsonObject second = attempts.getJsonObject(1);
    assertThat(first.getInteger("attempt")).isEqualTo(1);
    assertThat(first.getString("status")).isEqualTo("FAILED");
    assertThat(first.getInteger("exitCode")).isEqualTo(1);
    assertThat(second.getInteger("attempt")).isEqualTo(2);
    assertThat(second.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(second.getInteger("exitCode")).isEqualTo(0);
    assertThat(second.getLong("id")).isNotEqualTo(first.getLong("id"));
    assertThat(second.getString("nextAttemptAt")).as("started: nothing is due").isNull();
    assertThat(time(second, "startedAt"))
        .isAfterOrEqualTo(time(first, "finishedAt").plusSeconds(1));
    assertThat(read(dir.resolve("count"))).isEqualTo("2");

    List<JsonObject> lines =
        api.awaitLogs(id, l -> texts(l).containsAll(List.of("attempt 1", "attempt 2")));
    JsonObject line1 =
        lines.stream()
            .filter(l -> l.getString("line").equals("attempt 1"))
            .findFirst()
            .orElseThrow();
    JsonObject line2 =
        lines.stream()
            .filter(l -> l.getString("line").equals("attempt 2"))
            .findFirst()
            .orElseThrow();
    assertThat(line1.getInteger("attempt")).isEqualTo(1);
    assertThat(line1.getLong("stepRunId")).isEqualTo(first.getLong("id"));
    assertThat(line2.getInteger("attempt")).isEqualTo(2);
    assertThat(line2.getLong("stepRunId")).isEqualTo(second.getLong("id"));
    assertThat(texts(api.logs(id, "flaky", 1000))).contains("attempt 1", "attempt 2");
  }

  @Test
  void a_step_that_keeps_failing_stops_after_its_retries_and_fails_the_run() {
    Path dir = RunsApi.tempDir();
    String template =
        api.templateWithDir(
            "retries-exhausted", command("broken", counting("count", 99)).put("retries", 1));

    JsonObject run = api.awaitEnd(api.start(template, dir));

    assertThat(run.getString("status")).isEqualTo("FAILED");
    assertThat(step(run, "broken").getInteger("attempt")).isEqualTo(2);
    assertThat(step(run, "broken").getJsonArray("attempts")).hasSize(2);
    assertThat(read(dir.resolve("count"))).isEqualTo("2");
  }

  @Test
  void cancel_during_a_retry_backoff_cancels_the_waiting_attempt_and_nothing_runs_again() {
    Path dir = RunsApi.tempDir();
    String template =
        api.templateWithDir(
            "cancel-backoff",
            command("flaky", counting("count", 2)).put("retries", 1).put("retryBackoffSeconds", 3));
    long id = api.start(template, dir);
    JsonObject waiting = api.await(id, r -> step(r, "flaky").getInteger("attempt") == 2);
    assertThat(step(waiting, "flaky").getString("status")).isEqualTo("PENDING");
    assertThat(time(step(waiting, "flaky"), "nextAttemptAt"))
        .isAfter(
            time(step(waiting, "flaky").getJsonArray("attempts").getJsonObject(0), "finishedAt"));

    Answer cancel = api.server.post("/api/v1/runs/" + id + "/cancel", api.operator, null);

    assertThat(cancel.status()).as(cancel.toString()).isEqualTo(200);
    JsonObject run = cancel.json();
    assertThat(run.getString("status")).isEqualTo("CANCELED");
    assertThat(stepStatus(run, "flaky")).isEqualTo("CANCELED");
    assertThat(step(run, "flaky").getJsonArray("attempts").getJsonObject(0).getString("status"))
        .isEqualTo("FAILED");
    // The backoff timer still fires; the canceled attempt must stay canceled.
    Awaitility.await()
        .during(Duration.ofSeconds(4))
        .atMost(Duration.ofSeconds(6))
        .until(() -> stepStatus(api.run(id), "flaky").equals("CANCELED"));
    assertThat(read(dir.resolve("count"))).isEqualTo("1");
  }

  // ---- failures

  @Test
  void an_ignored_failure_lets_the_next_step_run_and_the_run_succeeds() {
    String template =
        api.template(
            "ignore",
            new JsonArray(),
            command("optional", "exit 3").put("ignoreFailure", true),
            command("next", "echo next ran"));

    JsonObject run = api.awaitEnd(api.start(template, (JsonObject) null));

    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
    assertThat(stepStatus(run, "optional")).isEqualTo("FAILED");
    assertThat(step(run, "optional").getInteger("exitCode")).isEqualTo(3);
    assertThat(stepStatus(run, "next")).isEqualTo("SUCCEEDED");
  }

  @Test
  void a_failure_skips_its_dependents_but_a_running_sibling_finishes_and_then_the_run_fails() {
    Path dir = RunsApi.tempDir();
    String template =
        api.templateWithDir(
            "sibling",
            command("bad", "exit 1"),
            command("dependent", "touch \"$dir/dependent-ran\""),
            command(
                    "sibling",
                    "while [ ! -f \"$dir/release\" ]; do sleep 0.05; done; echo sibling done")
                .put("needs", new JsonArray())
                .put("timeoutSeconds", 30));
    long id = api.start(template, dir);

    JsonObject failing =
        api.await(
            id,
            r ->
                stepStatus(r, "bad").equals("FAILED")
                    && stepStatus(r, "dependent").equals("SKIPPED"));
    assertThat(stepStatus(failing, "sibling")).isEqualTo("RUNNING");
    assertThat(failing.getString("status")).isEqualTo("RUNNING");

    touch(dir.resolve("release"));
    JsonObject run = api.awaitEnd(id);

    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("FAILED");
    assertThat(run.getString("error")).contains("bad");
    assertThat(stepStatus(run, "sibling")).isEqualTo("SUCCEEDED");
    assertThat(stepStatus(run, "dependent")).isEqualTo("SKIPPED");
    assertThat(time(run, "finishedAt")).isAfterOrEqualTo(time(step(run, "sibling"), "finishedAt"));
    assertThat(Files.exists(dir.resolve("dependent-ran"))).isFalse();
  }

  static void touch(Path file) {
    try {
      Files.writeString(file, "");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  // ---- retry from failed

  @Test
  void retry_of_a_failed_run_keeps_what_succeeded_and_runs_the_failed_step_again() {
    Path dir = RunsApi.tempDir();
    String template =
        api.templateWithDir(
            "retry-run",
            command("first", counting("first.count", 1)),
            command("second", counting("second.count", 1) + " && test -f \"$dir/flag\""),
            command("third", counting("third.count", 1)));
    long failedId = api.start(template, dir);
    JsonObject failed = api.awaitEnd(failedId);
    assertThat(failed.getString("status")).as(failed.encodePrettily()).isEqualTo("FAILED");
    assertThat(stepStatus(failed, "first")).isEqualTo("SUCCEEDED");
    assertThat(stepStatus(failed, "second")).isEqualTo("FAILED");
    assertThat(stepStatus(failed, "third")).isEqualTo("SKIPPED");

    touch(dir.resolve("flag"));
    Answer retry = api.server.post("/api/v1/runs/" + failedId + "/retry", api.operator, null);

    assertThat(retry.status()).as(retry.toString()).isEqualTo(202);
    long retryId = retry.json().getLong("id");
    assertThat(retryId).isNotEqualTo(failedId);
    assertThat(retry.response().headers().firstValue("Location"))
        .hasValue("/api/v1/runs/" + retryId);
    JsonObject run = api.awaitEnd(retryId);
    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
    assertThat(run.getLong("retryOf")).isEqualTo(failedId);
    assertThat(run.getString("trigger")).isEqualTo("retry");
    assertThat(run.getString("triggeredBy")).isEqualTo(api.operatorName);
    assertThat(run.getString("template")).isEqualTo(template);
    assertThat(run.getJsonObject("params").getString("dir")).isEqualTo(dir.toString());
    assertThat(stepStatus(run, "first")).isEqualTo("SUCCEEDED");
    assertThat(stepStatus(run, "second")).isEqualTo("SUCCEEDED");
    assertThat(stepStatus(run, "third")).isEqualTo("SUCCEEDED");
    assertThat(read(dir.resolve("first.count"))).as("first ran once, kept on retry").isEqualTo("1");
    assertThat(read(dir.resolve("second.count"))).as("second ran again").isEqualTo("2");
    assertThat(read(dir.resolve("third.count"))).isEqualTo("1");
    assertThat(api.run(failedId).getString("status")).isEqualTo("FAILED");

    Answer ofSucceeded = api.server.post("/api/v1/runs/" + retryId + "/retry", api.operator, null);
    assertThat(ofSucceeded.status()).as(ofSucceeded.toString()).isEqualTo(409);
  }

  @Test
  void retry_of_a_running_run_is_409() {
    Path dir = RunsApi.tempDir();
    String template =
        api.templateWithDir(
            "retry-running",
            command("wait", "while [ ! -f \"$dir/release\" ]; do sleep 0.05; done")
                .put("timeoutSeconds", 30));
    long id = api.start(template, dir);
    api.await(id, r -> stepStatus(r, "wait").equals("RUNNING"));

    Answer retry = api.server.post("/api/v1/runs/" + id + "/retry", api.operator, null);

    assertThat(retry.status()).as(retry.toString()).isEqualTo(409);
    assertThat(retry.errorCode()).isEqualTo("conflict");
    touch(dir.resolve("release"));
    assertThat(api.awaitEnd(id).getString("status")).isEqualTo("SUCCEEDED");
    Answer list = api.server.get("/api/v1/runs?template=" + template, api.operator);
    assertThat(list.json().getJsonArray("items")).hasSize(1);
  }

  // ---- HTTP steps

  @Test
  void http_steps_check_the_status_and_percent_encode_parameters_in_the_url() {
    try (Target target = new Target()) {
      String template =
          api.template(
              "http",
              new JsonArray().add(RunsApi.param("name")),
              new JsonObject()
                  .put("name", "up")
                  .put("kind", "http")
                  .put("url", target.base() + "/up/$name?q=$name")
                  .put("expectStatus", 200),
              new JsonObject()
                  .put("name", "down")
                  .put("kind", "http")
                  .put("url", target.base() + "/down")
                  .put("expectStatus", 200)
                  .put("needs", new JsonArray()));

      JsonObject run =
          api.awaitEnd(api.start(template, new JsonObject().put("name", "a b/c?d=1&e#f")));

      assertThat(stepStatus(run, "up")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
      assertThat(stepStatus(run, "down")).isEqualTo("FAILED");
      assertThat(step(run, "down").getString("error")).contains("503");
      assertThat(run.getString("status")).isEqualTo("FAILED");
      assertThat(target.requested)
          .contains("/up/a%20b%2Fc%3Fd%3D1%26e%23f?q=a%20b%2Fc%3Fd%3D1%26e%23f", "/down");
    }
  }
}
