package io.nightshift.web.approvals;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.TestSteps.command;
import static io.nightshift.web.approvals.ApprovalsApi.lines;
import static io.nightshift.web.approvals.ApprovalsApi.step;
import static io.nightshift.web.approvals.ApprovalsApi.stepStatus;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.Sse;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The design's game-update template, adapted to touch files in a temporary folder and to call a
 * local HTTP server, taken through approve, deny (with rollback), timeouts, double and concurrent
 * decisions, who may decide, self-approval, list filters, a parallel branch, restarts and cancel.
 * Over real HTTP, once per store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ApprovalFlowTest {
  static final String ISO_MILLIS = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
  static final String SECRET = "s3cret-db-pw";
  static final List<String> UNDONE_STEPS = List.of("stop", "backup", "upgrade-app", "upgrade-db");

  ApprovalsApi api;
  Hook hook;

  abstract TestServer.Store store();

  @BeforeAll
  void start() {
    hook = new Hook();
    api = ApprovalsApi.start(store());
  }

  @AfterAll
  void stop() {
    try {
      api.close();
    } finally {
      hook.close();
    }
  }

  // ---- the template

  static JsonArray needs(String... names) {
    return new JsonArray(List.of((Object[]) names));
  }

  /**
   * The design's game-update: stop (with undo), backup and upgrade-app in parallel after it,
   * upgrade-db after backup, the qa approval (role:qa) after both upgrades, then start, an HTTP
   * health check and the announce webhook. Every undo appends its name to {@code $dir/undo.log}.
   * upgrade-app waits for upgrade-db's marker, so it completes last of the four: reverse completion
   * order (upgrade-app, upgrade-db, backup, stop) differs from reverse template order. upgrade-db's
   * undo fails when {@code $dir/fail-undo-db} exists.
   */
  JsonObject gameUpdate(String prefix, Consumer<JsonObject> qa, JsonObject... extraSteps) {
    JsonObject approval =
        new JsonObject()
            .put("name", "qa")
            .put("kind", "approval")
            .put("approvers", new JsonArray().add("role:qa"))
            .put("message", "QA passed for $version? (${db_password})")
            .put("timeoutSeconds", 3600)
            .put("onTimeout", "deny")
            .put("needs", needs("upgrade-db", "upgrade-app"));
    qa.accept(approval);
    JsonArray steps =
        new JsonArray()
            .add(
                command("stop", "echo \"stopping game for $version\"; touch \"$dir/stopped\"")
                    .put("undo", undo("stop") + "; echo \"game started again\""))
            .add(
                new JsonObject()
                    .put("name", "backup")
                    .put("kind", "script")
                    .put("interpreter", "bash")
                    .put(
                        "script",
                        "echo \"dump before $version\" > \"$dir/backup-$version.sql\"\n"
                            + "echo \"backup written\"\n")
                    .put("needs", needs("stop"))
                    .put("undo", undo("backup") + "; rm -f \"$dir/backup-$version.sql\""))
            .add(
                command(
                        "upgrade-app",
                        "i=0; while [ ! -f \"$dir/release-app\" ] && [ $i -lt 400 ]; do sleep 0.05;"
                            + " i=$((i+1)); done; echo \"deployed $version\" > \"$dir/app\"")
                    .put("needs", needs("stop"))
                    .put("timeoutSeconds", 600)
                    .put("retries", 2)
                    .put("undo", undo("upgrade-app")))
            .add(
                command("upgrade-db", "echo migrating")
                    .put("needs", needs("backup"))
                    .put(
                        "undo",
                        undo("upgrade-db")
                            + "; if [ -f \"$dir/fail-undo-db\" ]; then"
                            + " echo \"cannot restore the schema\" >&2; exit 3; fi"))
            .add(approval)
            .add(command("start", "echo \"starting game $version\""))
            .add(
                new JsonObject()
                    .put("name", "health")
                    .put("kind", "http")
                    .put("method", "GET")
                    .put("url", hook.base() + "/health/$NIGHTSHIFT_RUN_ID")
                    .put("expectStatus", 200))
            .add(
                new JsonObject()
                    .put("name", "announce")
                    .put("kind", "notify")
                    .put("url", hook.base() + "/hook/$NIGHTSHIFT_RUN_ID")
                    .put("body", "game $version is live"));
    for (JsonObject extra : extraSteps) {
      steps.add(extra);
    }
    return new JsonObject()
        .put("name", ApprovalsApi.uniqueName(prefix))
        .put("description", "patch and restart the game servers")
        .put(
            "params",
            new JsonArray()
                .add(new JsonObject().put("name", "version").put("required", true))
                .add(new JsonObject().put("name", "db_password").put("secret", true))
                .add(
                    new JsonObject()
                        .put("name", "region")
                        .put("default", "eu")
                        .put("enum", needs("eu", "us")))
                .add(new JsonObject().put("name", "dir").put("required", true)))
        .put("onFailure", "rollback")
        .put("steps", steps);
  }

  static String undo(String step) {
    return "echo \"undo " + step + "\" >> \"$dir/undo.log\"";
  }

  String template(String prefix) {
    return api.createTemplate(gameUpdate(prefix, qa -> {}));
  }

  static JsonObject params(Path dir) {
    return new JsonObject()
        .put("version", "1.4.2")
        .put("db_password", SECRET)
        .put("dir", dir.toString());
  }

  /** A run of the template started by {@code deployer}, waiting for its approval. */
  record Waiting(long runId, long approvalId, Path dir) {}

  Waiting waitingRun(String template) {
    return waitingRun(template, api.deployer);
  }

  Waiting waitingRun(String template, String startedBy) {
    Path dir = ApprovalsApi.tempDir("nightshift-game-");
    long runId = api.start(startedBy, template, params(dir));
    releaseAppOnceDbUpgraded(() -> api.run(runId), dir);
    api.awaitWaiting(runId);
    return new Waiting(runId, api.approvalOf(runId).getLong("id"), dir);
  }

  /** Lets upgrade-app end once upgrade-db is stored SUCCEEDED: it completes strictly later. */
  static void releaseAppOnceDbUpgraded(Callable<JsonObject> run, Path dir) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(run, r -> stepStatus(r, "upgrade-db").equals("SUCCEEDED"));
    try {
      Files.createFile(dir.resolve("release-app"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static Instant time(JsonObject object, String field) {
    String text = object.getString(field);
    assertThat(text).as(field + " of " + object).isNotNull().matches(ISO_MILLIS);
    return Instant.parse(text);
  }

  // ---- approve

  @Test
  void an_approved_game_update_runs_to_the_end_and_announces_the_version() {
    String template = template("game-update");
    Waiting w = waitingRun(template);

    JsonObject waiting = api.run(w.runId());
    assertThat(waiting.getString("status")).isEqualTo("WAITING_APPROVAL");
    for (String done : UNDONE_STEPS) {
      assertThat(stepStatus(waiting, done)).as(done).isEqualTo("SUCCEEDED");
    }
    assertThat(stepStatus(waiting, "qa")).isEqualTo("WAITING_APPROVAL");
    for (String later : List.of("start", "health", "announce")) {
      assertThat(stepStatus(waiting, later)).as(later).isEqualTo("PENDING");
    }
    // No thread or process is held for the waiting run.
    assertThat(api.server.nightshift().engine().executingSteps()).isZero();

    JsonObject pending = api.approvalOf(w.runId());
    assertThat(pending.getString("status")).isEqualTo("PENDING");
    assertThat(pending.getLong("runId")).isEqualTo(w.runId());
    assertThat(pending.getString("step")).isEqualTo("qa");
    assertThat(pending.getJsonArray("approvers")).containsExactly("role:qa");
    assertThat(pending.getString("message"))
        .as("parameters in the message, a secret masked")
        .isEqualTo("QA passed for 1.4.2? (******)");
    assertThat(pending.getString("onTimeout")).isEqualTo("deny");
    assertThat(pending.getString("requestedBy")).isEqualTo("deployer");
    assertThat(Duration.between(time(pending, "requestedAt"), time(pending, "expiresAt")))
        .isEqualTo(Duration.ofHours(1));
    assertThat(pending.getValue("decidedBy")).isNull();
    assertThat(pending.getValue("decidedAt")).isNull();

    // What the approver is shown: the run, its template version, masked values, earlier results.
    Answer shown = api.server.get("/api/v1/approvals/" + w.approvalId(), api.anna);
    assertThat(shown.status()).as(shown.toString()).isEqualTo(200);
    assertThat(shown.body()).doesNotContain(SECRET);
    JsonObject detail = shown.json();
    assertThat(detail.getLong("id")).isEqualTo(w.approvalId());
    assertThat(detail.getBoolean("mayDecide")).isTrue();
    JsonObject run = detail.getJsonObject("run");
    assertThat(run.getLong("id")).isEqualTo(w.runId());
    assertThat(run.getString("template")).isEqualTo(template);
    assertThat(run.getInteger("templateVersion")).isEqualTo(1);
    assertThat(run.getString("triggeredBy")).isEqualTo("deployer");
    assertThat(run.getJsonObject("params").getMap())
        .containsEntry("version", "1.4.2")
        .containsEntry("db_password", "******")
        .containsEntry("region", "eu");
    for (String done : UNDONE_STEPS) {
      JsonObject before = step(run, done);
      assertThat(before.getString("status")).as(done).isEqualTo("SUCCEEDED");
      assertThat(before.getInteger("exitCode")).as(done).isZero();
      assertThat(before.getString("finishedAt")).as(done).matches(ISO_MILLIS);
    }
    assertThat(stepStatus(run, "qa")).isEqualTo("WAITING_APPROVAL");
    Answer shownToBob = api.server.get("/api/v1/approvals/" + w.approvalId(), api.bob);
    assertThat(shownToBob.json().getBoolean("mayDecide")).isFalse();

    Answer approved = api.approve(w.approvalId(), api.anna, "smoke tests passed");

    assertThat(approved.status()).as(approved.toString()).isEqualTo(200);
    JsonObject decision = approved.json();
    assertThat(decision.getString("status")).isEqualTo("APPROVED");
    assertThat(decision.getString("decidedBy")).isEqualTo("qa-anna");
    assertThat(decision.getString("comment")).isEqualTo("smoke tests passed");
    assertThat(time(decision, "decidedAt")).isAfterOrEqualTo(time(pending, "requestedAt"));

    JsonObject done = api.awaitEnd(w.runId());
    assertThat(done.getString("status")).as(done.encodePrettily()).isEqualTo("SUCCEEDED");
    for (Object o : done.getJsonArray("steps")) {
      JsonObject s = (JsonObject) o;
      assertThat(s.getString("status")).as(s.encode()).isEqualTo("SUCCEEDED");
    }
    assertThat(done.containsKey("rollback")).isFalse();
    assertThat(lines(w.dir().resolve("undo.log"))).isEmpty();
    assertThat(time(step(done, "start"), "startedAt"))
        .isAfterOrEqualTo(time(decision, "decidedAt"));
    assertThat(hook.to("/health/" + w.runId())).hasSize(1);
    List<Hook.Request> announced = hook.to("/hook/" + w.runId());
    assertThat(announced).hasSize(1);
    assertThat(announced.get(0).method()).isEqualTo("POST");
    assertThat(announced.get(0).body()).isEqualTo("game 1.4.2 is live");

    JsonObject after = api.approval(w.approvalId());
    assertThat(after.getString("status")).isEqualTo("APPROVED");
    assertThat(after.getString("decidedBy")).isEqualTo("qa-anna");
    JsonArray audit = api.audit(w.approvalId());
    assertThat(audit).hasSize(1);
    assertThat(audit.getJsonObject(0).getString("actor")).isEqualTo("qa-anna");
    assertThat(audit.getJsonObject(0).getString("action")).isEqualTo("approval.approve");
  }

  // ---- deny and rollback

  @Test
  void a_deny_needs_a_comment_then_fails_qa_and_rolls_back_in_reverse_completion_order()
      throws Exception {
    Waiting w = waitingRun(template("game-update-deny"));
    Sse stream =
        Sse.open(api.server.port(), "/api/v1/runs/" + w.runId() + "/logs/stream", api.viewer);

    for (String comment : new String[] {null, "   "}) {
      Answer noReason = api.deny(w.approvalId(), api.anna, comment);
      assertThat(noReason.status()).as(noReason.toString()).isEqualTo(400);
      assertThat(noReason.errorCode()).isEqualTo("validation_failed");
      assertThat(noReason.errorMessage()).contains("comment");
    }
    assertThat(api.approval(w.approvalId()).getString("status")).isEqualTo("PENDING");

    Answer denied = api.deny(w.approvalId(), api.anna, "login crashes on 1.4.2");

    assertThat(denied.status()).as(denied.toString()).isEqualTo(200);
    assertThat(denied.json().getString("status")).isEqualTo("DENIED");
    assertThat(denied.json().getString("decidedBy")).isEqualTo("qa-anna");
    assertThat(denied.json().getString("comment")).isEqualTo("login crashes on 1.4.2");
    assertThat(denied.json().getString("decidedAt")).matches(ISO_MILLIS);

    JsonObject run = api.awaitEnd(w.runId());
    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("ROLLED_BACK");
    assertThat(run.getString("error")).contains("qa").contains("denied");
    JsonObject qa = step(run, "qa");
    assertThat(qa.getString("status")).isEqualTo("DENIED");
    assertThat(qa.getString("error")).contains("qa-anna").contains("login crashes on 1.4.2");
    for (String later : List.of("start", "health", "announce")) {
      assertThat(stepStatus(run, later)).as(later).isEqualTo("SKIPPED");
    }
    for (String undone : UNDONE_STEPS) {
      assertThat(stepStatus(run, undone)).as(undone).isEqualTo("ROLLED_BACK");
    }
    assertThat(hook.to("/hook/" + w.runId())).isEmpty();

    // The undos ran in reverse completion order, each only after those of the steps needing it.
    List<String> undone = lines(w.dir().resolve("undo.log"));
    assertThat(undone)
        .containsExactly("undo upgrade-app", "undo upgrade-db", "undo backup", "undo stop");
    List<String> byCompletion =
        UNDONE_STEPS.stream()
            .sorted(Comparator.comparing((String s) -> time(step(run, s), "finishedAt")).reversed())
            .map(s -> "undo " + s)
            .toList();
    assertThat(undone).isEqualTo(byCompletion);
    assertUndoneAfterDependents(undone);

    JsonArray rollback = run.getJsonArray("rollback");
    assertThat(rollback).as(run.encodePrettily()).hasSize(4);
    List<String> attempts = new ArrayList<>();
    Instant previousEnd = time(qa, "finishedAt");
    for (Object o : rollback) {
      JsonObject attempt = (JsonObject) o;
      attempts.add(attempt.getString("name"));
      assertThat(attempt.getString("status")).as(attempt.encode()).isEqualTo("SUCCEEDED");
      assertThat(attempt.getInteger("exitCode")).isZero();
      assertThat(time(attempt, "startedAt")).isAfterOrEqualTo(previousEnd);
      previousEnd = time(attempt, "finishedAt");
    }
    assertThat(attempts)
        .containsExactly("undo:upgrade-app", "undo:upgrade-db", "undo:backup", "undo:stop");

    // Undo output is logged like any step's.
    List<JsonObject> logs =
        api.awaitLogs(
            w.runId(),
            l -> l.stream().anyMatch(line -> "undo:stop".equals(line.getString("step"))));
    assertThat(logs)
        .filteredOn(line -> "undo:stop".equals(line.getString("step")))
        .extracting(line -> line.getString("line"))
        .contains("game started again");
    assertThat(api.audit(w.approvalId()).getJsonObject(0).getString("action"))
        .isEqualTo("approval.deny");

    // The live stream shows the decision, each undo and each rolled-back step, then the outcome.
    Sse.Received received = stream.readToEnd();
    List<String> stepEvents =
        received.events().stream()
            .filter(e -> e.type().equals("step"))
            .map(e -> e.data().getString("step") + " " + e.data().getString("status"))
            .toList();
    assertThat(stepEvents)
        .as(received.body())
        .containsSubsequence(
            "qa DENIED",
            "undo:upgrade-app RUNNING",
            "undo:upgrade-app SUCCEEDED",
            "upgrade-app ROLLED_BACK",
            "undo:upgrade-db SUCCEEDED",
            "undo:backup SUCCEEDED",
            "undo:stop SUCCEEDED",
            "stop ROLLED_BACK");
    assertThat(received.events())
        .filteredOn(e -> e.type().equals("log"))
        .extracting(e -> e.data().getString("line"))
        .contains("game started again");
    Sse.Event end = received.events().get(received.events().size() - 1);
    assertThat(end.type()).isEqualTo("end");
    assertThat(end.data().getString("status")).isEqualTo("ROLLED_BACK");
  }

  /** stop is needed by backup and upgrade-app; backup by upgrade-db. */
  static void assertUndoneAfterDependents(List<String> undone) {
    assertThat(undone.indexOf("undo stop"))
        .isGreaterThan(undone.indexOf("undo backup"))
        .isGreaterThan(undone.indexOf("undo upgrade-app"));
    assertThat(undone.indexOf("undo backup")).isGreaterThan(undone.indexOf("undo upgrade-db"));
  }

  @Test
  void a_failing_undo_ends_the_rollback_as_rollback_failed_naming_that_undo() throws Exception {
    Waiting w = waitingRun(template("game-update-undo-fails"));
    Files.createFile(w.dir().resolve("fail-undo-db"));

    assertThat(api.deny(w.approvalId(), api.anna, "broken").status()).isEqualTo(200);

    JsonObject run = api.awaitEnd(w.runId());
    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("ROLLBACK_FAILED");
    assertThat(run.getString("error")).contains("undo of step 'upgrade-db'").contains("failed");
    JsonArray rollback = run.getJsonArray("rollback");
    assertThat(rollback).hasSize(2);
    assertThat(rollback.getJsonObject(0).getString("name")).isEqualTo("undo:upgrade-app");
    assertThat(rollback.getJsonObject(0).getString("status")).isEqualTo("SUCCEEDED");
    assertThat(rollback.getJsonObject(1).getString("name")).isEqualTo("undo:upgrade-db");
    assertThat(rollback.getJsonObject(1).getString("status")).isEqualTo("FAILED");
    assertThat(rollback.getJsonObject(1).getInteger("exitCode")).isEqualTo(3);
    assertThat(stepStatus(run, "upgrade-app")).isEqualTo("ROLLED_BACK");
    assertThat(stepStatus(run, "upgrade-db")).isEqualTo("SUCCEEDED");
    assertThat(stepStatus(run, "backup")).isEqualTo("SUCCEEDED");
    assertThat(stepStatus(run, "stop")).isEqualTo("SUCCEEDED");
    assertThat(lines(w.dir().resolve("undo.log")))
        .containsExactly("undo upgrade-app", "undo upgrade-db");
    assertThat(
            api.awaitLogs(
                w.runId(),
                l ->
                    l.stream()
                        .anyMatch(
                            line -> "cannot restore the schema".equals(line.getString("line")))))
        .filteredOn(line -> "cannot restore the schema".equals(line.getString("line")))
        .extracting(line -> line.getString("step"))
        .containsExactly("undo:upgrade-db");
  }

  @Test
  void a_denied_approval_with_ignore_failure_leaves_the_run_going() {
    String template =
        api.createTemplate(gameUpdate("game-update-advisory", qa -> qa.put("ignoreFailure", true)));
    Waiting w = waitingRun(template);

    assertThat(api.deny(w.approvalId(), api.anna, "advisory only").status()).isEqualTo(200);

    JsonObject run = api.awaitEnd(w.runId());
    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
    assertThat(stepStatus(run, "qa")).isEqualTo("DENIED");
    assertThat(stepStatus(run, "announce")).isEqualTo("SUCCEEDED");
    assertThat(run.containsKey("rollback")).isFalse();
  }

  // ---- timeouts

  @Test
  void an_approval_nobody_decides_expires_by_the_default_on_timeout_deny_and_rolls_back() {
    String template =
        api.createTemplate(
            gameUpdate(
                "game-update-expires",
                qa -> {
                  qa.remove("onTimeout");
                  qa.put("timeoutSeconds", 1);
                }));
    Waiting w = waitingRun(template);

    JsonObject run = api.awaitEnd(w.runId());

    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("ROLLED_BACK");
    assertThat(stepStatus(run, "qa")).isEqualTo("EXPIRED");
    assertThat(run.getString("error")).contains("qa").contains("expired");
    JsonObject expired = api.approval(w.approvalId());
    assertThat(expired.getString("status")).isEqualTo("EXPIRED");
    assertThat(expired.getString("onTimeout")).isEqualTo("deny");
    assertThat(expired.getString("decidedBy")).isEqualTo("system");
    assertThat(time(expired, "decidedAt")).isAfterOrEqualTo(time(expired, "expiresAt"));
    assertThat(Duration.between(time(expired, "requestedAt"), time(expired, "expiresAt")))
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(lines(w.dir().resolve("undo.log")))
        .containsExactly("undo upgrade-app", "undo upgrade-db", "undo backup", "undo stop");

    Answer late = api.approve(w.approvalId(), api.anna, "sorry, was at lunch");
    assertThat(late.status()).as(late.toString()).isEqualTo(409);
    assertThat(late.errorMessage()).contains("EXPIRED");
  }

  @Test
  void an_approval_with_on_timeout_approve_expires_and_the_run_goes_on() {
    String template =
        api.createTemplate(
            gameUpdate(
                "game-update-auto", qa -> qa.put("timeoutSeconds", 1).put("onTimeout", "approve")));
    Waiting w = waitingRun(template);

    JsonObject run = api.awaitEnd(w.runId());

    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
    assertThat(stepStatus(run, "qa")).isEqualTo("SUCCEEDED");
    assertThat(stepStatus(run, "announce")).isEqualTo("SUCCEEDED");
    JsonObject expired = api.approval(w.approvalId());
    assertThat(expired.getString("status")).isEqualTo("EXPIRED");
    assertThat(expired.getString("decidedBy")).isEqualTo("system");
    assertThat(hook.to("/hook/" + w.runId())).hasSize(1);
  }

  // ---- decided once

  @Test
  void a_second_decision_is_409_and_the_first_stands() {
    Waiting w = waitingRun(template("game-update-twice"));
    assertThat(api.approve(w.approvalId(), api.anna, null).status()).isEqualTo(200);

    Answer again = api.approve(w.approvalId(), ADMIN_TOKEN, "me too");
    Answer reversed = api.deny(w.approvalId(), api.anna, "changed my mind");

    for (Answer late : List.of(again, reversed)) {
      assertThat(late.status()).as(late.toString()).isEqualTo(409);
      assertThat(late.errorCode()).isEqualTo("conflict");
      assertThat(late.errorMessage()).contains("already decided").contains("qa-anna");
    }
    JsonObject approval = api.approval(w.approvalId());
    assertThat(approval.getString("status")).isEqualTo("APPROVED");
    assertThat(approval.getString("decidedBy")).isEqualTo("qa-anna");
    assertThat(approval.getValue("comment")).isNull();
    assertThat(api.awaitEnd(w.runId()).getString("status")).isEqualTo("SUCCEEDED");
    assertThat(api.audit(w.approvalId())).hasSize(1);
  }

  @Test
  void two_concurrent_decisions_give_exactly_one_200_and_one_409() throws Exception {
    String template = template("game-update-race");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 3; round++) {
        Waiting w = waitingRun(template);
        CountDownLatch go = new CountDownLatch(1);
        Callable<Answer> approve =
            () -> {
              go.await();
              return api.approve(w.approvalId(), api.anna, "ship it");
            };
        Callable<Answer> deny =
            () -> {
              go.await();
              return api.deny(w.approvalId(), ADMIN_TOKEN, "hold it");
            };
        Future<Answer> approved = pool.submit(approve);
        Future<Answer> denied = pool.submit(deny);
        go.countDown();
        Answer a = approved.get(30, TimeUnit.SECONDS);
        Answer d = denied.get(30, TimeUnit.SECONDS);

        assertThat(List.of(a.status(), d.status()))
            .as(a + " / " + d)
            .containsExactlyInAnyOrder(200, 409);
        Answer winner = a.status() == 200 ? a : d;
        Answer loser = a.status() == 200 ? d : a;
        assertThat(loser.errorCode()).isEqualTo("conflict");
        JsonObject approval = api.approval(w.approvalId());
        assertThat(approval.getString("status"))
            .isEqualTo(winner.json().getString("status"))
            .isEqualTo(winner == a ? "APPROVED" : "DENIED");
        assertThat(api.audit(w.approvalId())).hasSize(1);
        JsonObject run = api.awaitEnd(w.runId());
        assertThat(run.getString("status"))
            .as(run.encodePrettily())
            .isEqualTo(winner == a ? "SUCCEEDED" : "ROLLED_BACK");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- who may decide

  @Test
  void an_unlisted_approver_a_viewer_and_an_operator_get_403_and_an_admin_may_decide() {
    Waiting w = waitingRun(template("game-update-who"));

    Answer bobApproves = api.approve(w.approvalId(), api.bob, "lgtm");
    assertThat(bobApproves.status()).as(bobApproves.toString()).isEqualTo(403);
    assertThat(bobApproves.errorCode()).isEqualTo("forbidden");
    assertThat(bobApproves.errorMessage()).contains("ops-bob").contains("role:qa");
    assertThat(api.deny(w.approvalId(), api.bob, "no").status()).isEqualTo(403);
    assertThat(api.approve(w.approvalId(), api.viewer, null).status()).isEqualTo(403);
    assertThat(api.approve(w.approvalId(), api.deployer, null).status()).isEqualTo(403);
    assertThat(api.approve(w.approvalId(), null, null).status()).isEqualTo(401);
    assertThat(api.approval(w.approvalId()).getString("status")).isEqualTo("PENDING");
    assertThat(api.run(w.runId()).getString("status")).isEqualTo("WAITING_APPROVAL");

    Answer admin = api.approve(w.approvalId(), ADMIN_TOKEN, "on call decision");
    assertThat(admin.status()).as(admin.toString()).isEqualTo(200);
    assertThat(admin.json().getString("decidedBy")).isEqualTo("admin");
    assertThat(api.awaitEnd(w.runId()).getString("status")).isEqualTo("SUCCEEDED");
  }

  @Test
  void a_token_named_in_approvers_may_decide_and_a_qa_approver_not_named_may_not() {
    String template =
        api.createTemplate(
            gameUpdate(
                "game-update-named", qa -> qa.put("approvers", new JsonArray().add("ops-bob"))));
    Waiting w = waitingRun(template);

    assertThat(api.listIds(api.bob, "run=" + w.runId())).containsExactly(w.approvalId());
    assertThat(api.listIds(api.anna, "run=" + w.runId())).isEmpty();
    assertThat(api.approve(w.approvalId(), api.anna, null).status()).isEqualTo(403);

    assertThat(api.approve(w.approvalId(), api.bob, null).status()).isEqualTo(200);
    assertThat(api.awaitEnd(w.runId()).getString("status")).isEqualTo("SUCCEEDED");
  }

  @Test
  void the_person_who_started_the_run_may_not_approve_it_unless_the_config_allows_it() {
    String template = template("game-update-self");
    Waiting w = waitingRun(template, api.lead);
    JsonObject shownToLead = api.server.get("/api/v1/approvals/" + w.approvalId(), api.lead).json();
    assertThat(shownToLead.getBoolean("mayDecide")).as("a listed requester may deny").isTrue();
    assertThat(shownToLead.getBoolean("mayApprove")).as("but not approve").isFalse();
    assertThat(
            api.server
                .get("/api/v1/approvals/" + w.approvalId(), api.anna)
                .json()
                .getBoolean("mayApprove"))
        .isTrue();

    Answer self = api.approve(w.approvalId(), api.lead, "my own change is fine");
    assertThat(self.status()).as(self.toString()).isEqualTo(403);
    assertThat(self.errorMessage())
        .contains("lead")
        .contains("asked for run")
        .contains("allowSelfApproval");
    assertThat(api.approval(w.approvalId()).getString("status")).isEqualTo("PENDING");
    assertThat(api.approve(w.approvalId(), api.anna, null).status()).isEqualTo(200);
    assertThat(api.awaitEnd(w.runId()).getString("status")).isEqualTo("SUCCEEDED");

    try (TestServer permissive = api.startWithSelfApproval()) {
      String lead = permissive.token("lead", "operator", "approver", "qa");
      JsonObject definition = gameUpdate("game-update-self-allowed", qa -> {});
      assertThat(permissive.post("/api/v1/templates", ADMIN_TOKEN, definition.encode()).status())
          .isEqualTo(201);
      Path dir = ApprovalsApi.tempDir("nightshift-game-");
      Answer started =
          permissive.post(
              "/api/v1/runs",
              lead,
              new JsonObject()
                  .put("template", definition.getString("name"))
                  .put("params", params(dir))
                  .encode());
      assertThat(started.status()).as(started.toString()).isEqualTo(202);
      long runId = started.json().getLong("id");
      releaseAppOnceDbUpgraded(() -> permissive.get("/api/v1/runs/" + runId, lead).json(), dir);
      JsonObject approval =
          Awaitility.await()
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(50))
              .until(
                  () -> permissive.get("/api/v1/approvals?run=" + runId, lead).json(),
                  list -> !list.getJsonArray("items").isEmpty())
              .getJsonArray("items")
              .getJsonObject(0);

      assertThat(
              permissive
                  .get("/api/v1/approvals/" + approval.getLong("id"), lead)
                  .json()
                  .getBoolean("mayApprove"))
          .isTrue();
      Answer own =
          permissive.post("/api/v1/approvals/" + approval.getLong("id") + "/approve", lead, null);

      assertThat(own.status()).as(own.toString()).isEqualTo(200);
      assertThat(own.json().getString("decidedBy")).isEqualTo("lead");
      JsonObject run =
          Awaitility.await()
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(50))
              .until(
                  () -> permissive.get("/api/v1/runs/" + runId, lead).json(),
                  r -> ApprovalsApi.TERMINAL.contains(r.getString("status")));
      assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
    }
  }

  // ---- lists

  @Test
  void approvers_see_only_what_they_may_decide_and_the_run_filter_narrows_the_list() {
    String template = template("game-update-list");
    Waiting first = waitingRun(template);
    Waiting second = waitingRun(template);

    assertThat(api.listIds(api.anna, "status=pending"))
        .contains(first.approvalId(), second.approvalId());
    assertThat(api.listIds(api.bob, "status=pending"))
        .doesNotContain(first.approvalId(), second.approvalId());
    assertThat(api.listIds(ADMIN_TOKEN, "status=pending"))
        .contains(first.approvalId(), second.approvalId());
    assertThat(api.listIds(api.viewer, "status=PENDING"))
        .contains(first.approvalId(), second.approvalId());

    assertThat(api.listIds(api.anna, "status=pending&run=" + first.runId()))
        .containsExactly(first.approvalId());
    assertThat(api.listIds(ADMIN_TOKEN, "run=" + second.runId()))
        .containsExactly(second.approvalId());
    assertThat(api.listIds(api.bob, "run=" + first.runId())).isEmpty();

    Answer badStatus = api.list(api.anna, "status=maybe");
    assertThat(badStatus.status()).as(badStatus.toString()).isEqualTo(400);
    assertThat(badStatus.errorMessage()).contains("status");
    assertThat(api.list(api.anna, "run=abc").status()).isEqualTo(400);
    assertThat(api.list(null, "").status()).isEqualTo(401);

    assertThat(api.approve(first.approvalId(), api.anna, null).status()).isEqualTo(200);
    assertThat(api.listIds(api.anna, "status=pending&run=" + first.runId())).isEmpty();
    assertThat(api.listIds(api.anna, "status=approved&run=" + first.runId()))
        .containsExactly(first.approvalId());
    assertThat(api.listIds(api.anna, "status=pending")).contains(second.approvalId());
    assertThat(api.deny(second.approvalId(), api.anna, "not today").status()).isEqualTo(200);
    api.awaitEnd(first.runId());
    api.awaitEnd(second.runId());
  }

  @Test
  void an_approver_finds_theirs_behind_newer_ones_they_may_not_decide_and_pages_carry_a_cursor() {
    Waiting annas = waitingRun(template("game-update-paging"));
    String bobsTemplate =
        api.createTemplate(
            gameUpdate(
                "game-update-paging-ops",
                qa -> qa.put("approvers", new JsonArray().add("ops-bob"))));
    Waiting bobsOlder = waitingRun(bobsTemplate);
    Waiting bobsNewer = waitingRun(bobsTemplate);

    // The newest pending approval anna may decide is hers, whatever came in after it.
    assertThat(api.listIds(api.anna, "status=pending&limit=1")).containsExactly(annas.approvalId());
    assertThat(api.listIds(api.bob, "status=pending&limit=1"))
        .containsExactly(bobsNewer.approvalId());

    // Pages of one, newest first, each naming where the next starts, until next is null.
    for (String token : List.of(ADMIN_TOKEN, api.anna, api.bob)) {
      List<Long> walked = new ArrayList<>();
      String next = null;
      int pages = 0;
      do {
        Answer page =
            api.list(token, "status=pending&limit=1" + (next == null ? "" : "&before=" + next));
        assertThat(page.status()).as(page.toString()).isEqualTo(200);
        assertThat(page.json().getJsonArray("items").size()).isLessThanOrEqualTo(1);
        page.json().getJsonArray("items").forEach(o -> walked.add(((JsonObject) o).getLong("id")));
        next = page.json().getString("next");
        assertThat(++pages).as("pages walked").isLessThan(100);
      } while (next != null);
      assertThat(walked).doesNotHaveDuplicates().isSortedAccordingTo(Comparator.reverseOrder());
      if (token.equals(api.bob)) {
        assertThat(walked)
            .containsSubsequence(bobsNewer.approvalId(), bobsOlder.approvalId())
            .doesNotContain(annas.approvalId());
      } else if (token.equals(api.anna)) {
        assertThat(walked)
            .contains(annas.approvalId())
            .doesNotContain(bobsNewer.approvalId(), bobsOlder.approvalId());
      } else {
        assertThat(walked)
            .containsSubsequence(
                bobsNewer.approvalId(), bobsOlder.approvalId(), annas.approvalId());
      }
    }
    assertThat(api.list(api.anna, "before=abc").status()).isEqualTo(400);

    for (Waiting w : List.of(annas, bobsOlder, bobsNewer)) {
      assertThat(api.deny(w.approvalId(), ADMIN_TOKEN, "clean up").status()).isEqualTo(200);
      api.awaitEnd(w.runId());
    }
  }

  @Test
  void an_unknown_approval_is_404() {
    assertThat(api.server.get("/api/v1/approvals/987654321", api.anna).status()).isEqualTo(404);
    assertThat(api.approve(987654321L, api.anna, null).status()).isEqualTo(404);
    assertThat(api.deny(987654321L, api.anna, "why not").status()).isEqualTo(404);
  }

  @Test
  void bad_approval_steps_are_400_naming_the_field() {
    record Case(Consumer<JsonObject> change, String field) {}
    List<Case> cases =
        List.of(
            new Case(qa -> qa.put("onTimeout", "maybe"), "onTimeout"),
            new Case(qa -> qa.put("approvers", new JsonArray()), "approvers"),
            new Case(qa -> qa.put("approvers", new JsonArray().add("role:")), "approvers"),
            new Case(qa -> qa.put("undo", "echo nothing"), "undo"),
            new Case(qa -> qa.put("retries", 1), "retries"));
    for (Case c : cases) {
      Answer answer =
          api.server.post("/api/v1/templates", ADMIN_TOKEN, gameUpdate("bad", c.change()).encode());
      assertThat(answer.status()).as(c.field() + ": " + answer).isEqualTo(400);
      assertThat(answer.errorMessage()).as(answer.toString()).contains(c.field());
    }
  }

  // ---- a parallel branch

  @Test
  void a_branch_that_does_not_need_the_approval_keeps_running_and_finishes_while_it_waits()
      throws Exception {
    JsonObject warm =
        command(
                "warm-cache",
                "echo warming; i=0; while [ ! -f \"$dir/go\" ] && [ $i -lt 400 ]; do sleep 0.05;"
                    + " i=$((i+1)); done; test -f \"$dir/go\" && echo warmed")
            .put("needs", new JsonArray());
    String template = api.createTemplate(gameUpdate("game-update-parallel", qa -> {}, warm));
    Path dir = ApprovalsApi.tempDir("nightshift-game-");
    long runId = api.start(api.deployer, template, params(dir));
    releaseAppOnceDbUpgraded(() -> api.run(runId), dir);

    JsonObject both =
        api.await(
            runId,
            r ->
                r.getString("status").equals("WAITING_APPROVAL")
                    && stepStatus(r, "qa").equals("WAITING_APPROVAL"));
    assertThat(stepStatus(both, "warm-cache")).isEqualTo("RUNNING");
    long approvalId = api.approvalOf(runId).getLong("id");

    Files.createFile(dir.resolve("go"));
    JsonObject warmed = api.await(runId, r -> !stepStatus(r, "warm-cache").equals("RUNNING"));

    assertThat(stepStatus(warmed, "warm-cache")).isEqualTo("SUCCEEDED");
    assertThat(warmed.getString("status")).isEqualTo("WAITING_APPROVAL");
    assertThat(stepStatus(warmed, "qa")).isEqualTo("WAITING_APPROVAL");
    assertThat(api.approval(approvalId).getString("status")).isEqualTo("PENDING");

    assertThat(api.approve(approvalId, api.anna, null).status()).isEqualTo(200);
    JsonObject run = api.awaitEnd(runId);
    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
  }

  // ---- restarts

  @Test
  void a_pending_approval_survives_a_restart_and_can_be_approved_after_it() {
    Waiting w = waitingRun(template("game-update-restart"));
    JsonObject before = api.approval(w.approvalId());

    api.restart();

    JsonObject after = api.approval(w.approvalId());
    assertThat(after.getString("status")).isEqualTo("PENDING");
    assertThat(after.getString("expiresAt")).isEqualTo(before.getString("expiresAt"));
    assertThat(after.getString("requestedBy")).isEqualTo("deployer");
    JsonObject run = api.run(w.runId());
    assertThat(run.getString("status")).isEqualTo("WAITING_APPROVAL");
    assertThat(stepStatus(run, "qa")).isEqualTo("WAITING_APPROVAL");
    assertThat(api.listIds(api.anna, "status=pending&run=" + w.runId()))
        .containsExactly(w.approvalId());

    Answer approved = api.approve(w.approvalId(), api.anna, "after the restart");
    assertThat(approved.status()).as(approved.toString()).isEqualTo(200);
    JsonObject done = api.awaitEnd(w.runId());
    assertThat(done.getString("status")).as(done.encodePrettily()).isEqualTo("SUCCEEDED");
    assertThat(hook.to("/hook/" + w.runId())).hasSize(1);
  }

  @Test
  void an_approval_deadline_survives_a_restart_and_the_new_server_expires_it() {
    String template =
        api.createTemplate(gameUpdate("game-update-deadline", qa -> qa.put("timeoutSeconds", 3)));
    Waiting w = waitingRun(template);
    JsonObject before = api.approval(w.approvalId());
    assertThat(before.getString("status")).isEqualTo("PENDING");

    api.restart();
    Instant restarted = Instant.now();

    JsonObject run = api.awaitEnd(w.runId());
    assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("ROLLED_BACK");
    assertThat(stepStatus(run, "qa")).isEqualTo("EXPIRED");
    JsonObject expired = api.approval(w.approvalId());
    assertThat(expired.getString("status")).isEqualTo("EXPIRED");
    assertThat(expired.getString("expiresAt")).isEqualTo(before.getString("expiresAt"));
    assertThat(time(expired, "decidedAt"))
        .isAfterOrEqualTo(time(expired, "expiresAt"))
        .isAfterOrEqualTo(restarted.minusMillis(1000));
    assertThat(lines(w.dir().resolve("undo.log")))
        .containsExactly("undo upgrade-app", "undo upgrade-db", "undo backup", "undo stop");
  }

  // ---- cancel

  @Test
  void cancelling_a_waiting_run_closes_its_approval_and_cancels_the_step_and_the_run()
      throws Exception {
    Waiting w = waitingRun(template("game-update-cancel"));
    Sse stream =
        Sse.open(api.server.port(), "/api/v1/runs/" + w.runId() + "/logs/stream", api.viewer);

    Answer canceled = api.server.post("/api/v1/runs/" + w.runId() + "/cancel", api.deployer, null);

    assertThat(canceled.status()).as(canceled.toString()).isEqualTo(200);
    assertThat(canceled.json().getString("status")).isEqualTo("CANCELED");
    JsonObject run = api.run(w.runId());
    assertThat(run.getString("status")).isEqualTo("CANCELED");
    assertThat(stepStatus(run, "qa")).isEqualTo("CANCELED");
    for (String later : List.of("start", "health", "announce")) {
      assertThat(stepStatus(run, later)).as(later).isEqualTo("CANCELED");
    }
    JsonObject approval = api.approval(w.approvalId());
    assertThat(approval.getString("status")).isEqualTo("CANCELED");
    assertThat(approval.getString("decidedBy")).isEqualTo("deployer");
    assertThat(approval.getString("decidedAt")).matches(ISO_MILLIS);
    assertThat(api.listIds(api.anna, "status=pending&run=" + w.runId())).isEmpty();

    Answer late = api.approve(w.approvalId(), api.anna, null);
    assertThat(late.status()).as(late.toString()).isEqualTo(409);
    assertThat(late.errorMessage()).contains("CANCELED");
    assertThat(api.run(w.runId()).getString("status")).isEqualTo("CANCELED");

    // Followers are told of every step's change, the approval step's included.
    Sse.Received received = stream.readToEnd();
    List<String> stepEvents =
        received.events().stream()
            .filter(e -> e.type().equals("step"))
            .map(e -> e.data().getString("step") + " " + e.data().getString("status"))
            .toList();
    assertThat(stepEvents)
        .as(received.body())
        .contains("qa CANCELED", "start CANCELED", "health CANCELED", "announce CANCELED");
    assertThat(received.events().get(received.events().size() - 1).data().getString("status"))
        .isEqualTo("CANCELED");
  }
}
