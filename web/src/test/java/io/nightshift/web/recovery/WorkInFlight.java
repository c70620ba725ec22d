package io.nightshift.web.recovery;

import static io.nightshift.web.TestSteps.command;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * The work a node holds when it is killed: runs mid-step (attempt 1 sleeps, attempt 2 succeeds at
 * once), runs in retry backoff (attempt 1 fails, attempt 2 succeeds) and runs waiting at an
 * approval with a deadline an hour away. Every template notifies two webhooks of all events.
 */
final class WorkInFlight {
  static final int MID_STEP = 25;
  static final int BACKOFF = 25;
  static final int APPROVALS = 10;

  /**
   * Long enough for all runs to be started and seen waiting, and node B started, when busy: {@link
   * #assertStillHeld} fails the test if a backoff came due before the kill, and prints how much of
   * it was left. Every second of it is waited for in real time after the kill (the node is a
   * separate JVM on the system clock). 20 s was too short once: with the suite's heaviest classes
   * starting side by side on 2 cores, starting the runs took 33 s, seeing them held 6 s more and
   * node B's start 16 s (the first backoff retry came due 4 s before the kill).
   */
  static final int BACKOFF_SECONDS = 40;

  static final List<String> HOOKS = List.of("a", "b");

  final List<Long> midStep = new ArrayList<>();
  final List<Long> backoff = new ArrayList<>();
  final List<Long> waiting = new ArrayList<>();
  private final Path pids;

  /** Approval id to its deadline, and backoff run to its next attempt's time, before the kill. */
  private final Map<Long, String> deadlines = new HashMap<>();

  private final Map<Long, Instant> nextAttempts = new HashMap<>();

  private WorkInFlight(Path pids) {
    this.pids = pids;
  }

  /** Stores the templates and starts every run through {@code api}. */
  static WorkInFlight start(NodeApi api, WebhookReceiver receiver, Path pids) {
    JsonArray notify = new JsonArray();
    HOOKS.forEach(hook -> notify.add(new JsonObject().put("url", receiver.url(hook))));
    String sleepFirst =
        "if [ \"$NIGHTSHIFT_ATTEMPT\" = 1 ]; then echo $$ >> " + pids + "; exec sleep 120; fi";
    template(api, "mid-step", notify, command("work", sleepFirst).put("retries", 1));
    template(
        api,
        "backoff",
        notify,
        command("flaky", "[ \"$NIGHTSHIFT_ATTEMPT\" = 2 ]")
            .put("retries", 1)
            .put("retryBackoffSeconds", BACKOFF_SECONDS));
    template(
        api,
        "gated",
        notify,
        new JsonObject()
            .put("name", "gate")
            .put("kind", "approval")
            .put("approvers", new JsonArray().add("role:admin"))
            .put("timeoutSeconds", 3600)
            .put("onTimeout", "deny"),
        command("after", "true"));
    WorkInFlight work = new WorkInFlight(pids);
    // Backoffs last: they are due soonest. Their deliveries to webhook "b" get no answer until
    // after the kill: the node dies holding them (in flight or waiting for their retry).
    work.waiting.addAll(api.start("gated", APPROVALS));
    work.midStep.addAll(api.start("mid-step", MID_STEP));
    receiver.hold(HOOKS.get(1));
    work.backoff.addAll(api.start("backoff", BACKOFF));
    return work;
  }

  private static void template(NodeApi api, String name, JsonArray notify, JsonObject... steps) {
    api.post(
        "/templates",
        new JsonObject()
            .put("name", name)
            .put("notify", notify)
            .put("steps", new JsonArray(List.of((Object[]) steps))),
        201);
  }

  /** The 50 runs that must end SUCCEEDED. */
  List<Long> active() {
    return Stream.concat(midStep.stream(), backoff.stream()).toList();
  }

  /** Every run, the waiting ones too. */
  List<Long> all() {
    return Stream.concat(active().stream(), waiting.stream()).toList();
  }

  /**
   * Waits until every run is where it should be when the node dies, and notes the deadlines and
   * backoffs as stored; asserts that no backoff has come due yet.
   */
  void awaitHeld(NodeApi api) throws IOException {
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> notHeld(api) == null);
    for (JsonObject run : api.runs(backoff)) {
      nextAttempts.put(run.getLong("id"), Instant.parse(step(run).getString("nextAttemptAt")));
    }
    JsonArray pending = api.get("/approvals?status=pending&limit=100").getJsonArray("items");
    for (JsonObject approval : objects(pending)) {
      if (waiting.contains(approval.getLong("runId"))) {
        deadlines.put(approval.getLong("id"), approval.getString("expiresAt"));
      }
    }
    assertThat(deadlines).hasSize(APPROVALS).doesNotContainValue(null);
    assertStillHeld(api);
  }

  /** Every run is still where it was, and no backoff has come due yet. */
  void assertStillHeld(NodeApi api) throws IOException {
    System.out.printf(
        "first backoff retry due in %d ms%n",
        nextAttempts.values().stream()
            .map(at -> Duration.between(Instant.now(), at).toMillis())
            .min(Long::compare)
            .orElse(0L));
    assertThat(nextAttempts.values())
        .as("every backoff run is still waiting for its retry when the node is killed")
        .allMatch(at -> at.isAfter(Instant.now()));
    assertThat(notHeld(api)).as("what the node no longer holds").isNull();
  }

  /**
   * Null when every first attempt of the mid-step runs has started its process (and sleeps), every
   * backoff run waits for its retry and every approval is pending; otherwise what is not so.
   */
  private String notHeld(NodeApi api) throws IOException {
    List<String> missing = new ArrayList<>();
    int started = Files.exists(pids) ? Files.readAllLines(pids).size() : 0;
    if (started != MID_STEP) {
      missing.add(started + " of " + MID_STEP + " first attempts started");
    }
    long pending =
        objects(api.get("/approvals?status=pending&limit=100").getJsonArray("items")).stream()
            .filter(approval -> waiting.contains(approval.getLong("runId")))
            .count();
    if (pending != APPROVALS) {
      missing.add(pending + " of " + APPROVALS + " approvals pending");
    }
    api.runs(midStep).stream()
        .filter(run -> !sleeping(step(run)))
        .forEach(run -> missing.add("mid-step run " + run.getLong("id") + ": " + step(run)));
    api.runs(backoff).stream()
        .filter(run -> step(run).getString("nextAttemptAt") == null)
        .forEach(run -> missing.add("backoff run " + run.getLong("id") + ": " + step(run)));
    return missing.isEmpty() ? null : String.join("\n", missing);
  }

  private static boolean sleeping(JsonObject step) {
    return "RUNNING".equals(step.getString("status")) && step.getInteger("attempt") == 1;
  }

  /** True once every run that should succeed is over (however it ended). */
  boolean settled(NodeApi api) {
    return api.runs(all()).stream()
        .filter(r -> !waiting.contains(r.getLong("id")))
        .allMatch(r -> NodeApi.OVER.contains(r.getString("status")));
  }

  /**
   * Every run succeeded on attempt 2 of its step (a mid-step one after its first attempt was lost,
   * a backoff one not before its stored time); nothing runs; every approval is still pending with
   * the deadline it had before the kill.
   */
  void assertRecovered(NodeApi api) {
    for (JsonObject run : api.runs(active())) {
      long id = run.getLong("id");
      assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
      JsonObject step = step(run);
      assertThat(step.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
      assertThat(step.getInteger("attempt")).as(run.encodePrettily()).isEqualTo(2);
      JsonObject first = objects(step.getJsonArray("attempts")).get(0);
      assertThat(first.getString("status")).isEqualTo("FAILED");
      if (midStep.contains(id)) {
        assertThat(first.getString("error")).as(run.encodePrettily()).contains("executor lost");
      } else {
        assertThat(Instant.parse(step.getString("startedAt")))
            .as("the retry of run %d waited for its stored time", id)
            .isAfterOrEqualTo(nextAttempts.get(id));
      }
    }
    assertThat(api.runs(waiting))
        .allMatch(run -> "WAITING_APPROVAL".equals(run.getString("status")));
    for (Map.Entry<Long, String> deadline : deadlines.entrySet()) {
      JsonObject approval = api.get("/approvals/" + deadline.getKey());
      assertThat(approval.getString("status")).isEqualTo("PENDING");
      assertThat(approval.getString("expiresAt")).isEqualTo(deadline.getValue());
    }
    assertThat(api.get("/runs?status=RUNNING,CANCELING&limit=100").getJsonArray("items"))
        .as("no run stays RUNNING or CANCELING")
        .isEmpty();
  }

  /** What every receiver must get: {@code runId event hook}, each exactly once. */
  Set<String> expectedEvents() {
    Set<String> expected = new HashSet<>();
    for (String hook : HOOKS) {
      for (long id : active()) {
        expected.add(id + " run.running " + hook);
        expected.add(id + " run.succeeded " + hook);
      }
      for (long id : waiting) {
        expected.add(id + " run.running " + hook);
        expected.add(id + " approval.requested " + hook);
      }
    }
    return expected;
  }

  /** The pids of the first attempts' processes, which the killed node left behind. */
  List<Long> leftovers() throws IOException {
    return Files.exists(pids)
        ? Files.readAllLines(pids).stream().map(String::trim).map(Long::parseLong).toList()
        : List.of();
  }

  private static JsonObject step(JsonObject run) {
    return run.getJsonArray("steps").getJsonObject(0);
  }

  private static List<JsonObject> objects(JsonArray array) {
    return array.stream().map(JsonObject.class::cast).toList();
  }
}
