package io.nightshift.web.runs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.TestSteps.command;
import static io.nightshift.web.runs.RunsApi.param;
import static io.nightshift.web.runs.RunsApi.texts;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.Sse;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What goes into a run (parameters: checks, priority, injection, secrets) and what comes out
 * (stored logs, paged, and the live SSE stream), over real HTTP. Run once per store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RunInputAndOutputTest {
  RunsApi api;
  String checked;

  abstract TestServer.Store store();

  @BeforeAll
  void start() {
    api = RunsApi.start(store());
    checked =
        api.template(
            "checked",
            new JsonArray()
                .add(param("version").put("required", true))
                .add(
                    param("region")
                        .put("default", "eu")
                        .put("enum", new JsonArray().add("eu").add("us")))
                .add(param("tag").put("pattern", "[a-z]+"))
                .add(param("pin").put("secret", true).put("pattern", "[0-9]{4}")),
            command("show", "echo \"version=$version region=$region\""));
  }

  @AfterAll
  void stop() {
    api.close();
  }

  // ---- parameters

  void assertRejected(Answer answer, String field, String message) {
    assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
    assertThat(answer.errorCode()).isEqualTo("validation_failed");
    assertThat(answer.errorMessage()).contains(field).contains(message);
    assertThat(
            answer
                .json()
                .getJsonObject("error")
                .getJsonArray("details")
                .getJsonObject(0)
                .getString("field"))
        .isEqualTo(field);
  }

  JsonObject valid() {
    return new JsonObject().put("version", "1.2");
  }

  @Test
  void an_undeclared_parameter_is_400_naming_it() {
    assertRejected(api.post(checked, valid().put("x", "1")), "params.x", "is not declared");
  }

  @Test
  void a_missing_required_parameter_is_400_naming_it() {
    assertRejected(api.post(checked, new JsonObject()), "params.version", "is required");
  }

  @Test
  void a_value_outside_the_enum_is_400() {
    assertRejected(
        api.post(checked, valid().put("region", "asia")), "params.region", "is not one of");
  }

  @Test
  void a_value_not_matching_the_pattern_is_400() {
    assertRejected(
        api.post(checked, valid().put("tag", "UPPER")), "params.tag", "does not match the pattern");
  }

  @Test
  void a_rejected_secret_value_is_not_repeated_in_the_error() {
    Answer answer = api.post(checked, valid().put("pin", "secret-pin-value"));
    assertRejected(answer, "params.pin", "does not match the pattern");
    assertThat(answer.body()).doesNotContain("secret-pin-value");
  }

  @Test
  void a_value_that_is_an_object_or_array_is_400() {
    assertRejected(
        api.post(checked, valid().put("tag", new JsonObject().put("a", 1))),
        "params.tag",
        "must be a string, number or boolean");
    assertRejected(
        api.post(checked, valid().put("tag", new JsonArray().add("a"))),
        "params.tag",
        "must be a string, number or boolean");
  }

  @Test
  void params_that_are_not_an_object_are_400() {
    Answer answer =
        api.server.post(
            "/api/v1/runs",
            api.operator,
            new JsonObject().put("template", checked).put("params", "version=1").encode());
    assertRejected(answer, "params", "must be an object");
  }

  @Test
  void an_unknown_body_field_is_400_naming_it() {
    Answer answer =
        api.server.post(
            "/api/v1/runs",
            api.operator,
            new JsonObject().put("template", checked).put("colour", "red").encode());
    assertRejected(answer, "colour", "unknown field");
  }

  @Test
  void an_unknown_template_is_404_and_a_missing_one_400() {
    Answer unknown = api.post("no-such-template", new JsonObject());
    assertThat(unknown.status()).as(unknown.toString()).isEqualTo(404);
    assertThat(unknown.errorCode()).isEqualTo("not_found");
    assertRejected(api.server.post("/api/v1/runs", api.operator, "{}"), "template", "is required");
    assertRejected(api.server.post("/api/v1/runs", api.operator, "not json"), "body", "JSON");
  }

  @Test
  void a_viewer_cannot_start_a_run_and_nothing_runs_without_a_token() {
    String viewer = api.server.token(RunsApi.uniqueName("viewer"), "viewer");
    String body = new JsonObject().put("template", checked).put("params", valid()).encode();
    assertThat(api.server.post("/api/v1/runs", viewer, body).status()).isEqualTo(403);
    assertThat(api.server.post("/api/v1/runs", null, body).status()).isEqualTo(401);
  }

  @Test
  void a_run_value_wins_over_the_template_default() {
    long byDefault = api.start(checked, valid());
    long given = api.start(checked, valid().put("region", "us").put("version", 7));

    assertThat(api.awaitEnd(byDefault).getJsonObject("params").getString("region")).isEqualTo("eu");
    JsonObject run = api.awaitEnd(given);
    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
    assertThat(run.getJsonObject("params").getString("region")).isEqualTo("us");
    assertThat(run.getJsonObject("params").getString("version")).isEqualTo("7");
    assertThat(texts(api.awaitLogs(byDefault, l -> !l.isEmpty())))
        .containsExactly("version=1.2 region=eu");
    assertThat(texts(api.awaitLogs(given, l -> !l.isEmpty())))
        .containsExactly("version=7 region=us");
  }

  @Test
  void shell_syntax_in_a_value_is_inert_and_shown_verbatim() {
    Path dir = RunsApi.tempDir();
    Path semicolon = dir.resolve("marker-semicolon");
    Path substitution = dir.resolve("marker-substitution");
    Path backticks = dir.resolve("marker-backticks");
    List<String> values =
        List.of(
            "x; touch " + semicolon,
            "$(touch " + substitution + ")",
            "`touch " + backticks + "`",
            "a' \"b\" && touch " + semicolon + " | touch " + semicolon);
    String template =
        api.template(
            "inject",
            new JsonArray().add(param("v")),
            command("echo", "echo \"$v\""),
            command("unquoted", "echo $v"));

    List<Long> ids = new ArrayList<>();
    for (String value : values) {
      ids.add(api.start(template, new JsonObject().put("v", value)));
    }

    for (int i = 0; i < values.size(); i++) {
      long id = ids.get(i);
      assertThat(api.awaitEnd(id).getString("status")).isEqualTo("SUCCEEDED");
      api.awaitLogs(id, l -> l.size() >= 2);
      assertThat(texts(api.logs(id, "echo", 100))).containsExactly(values.get(i));
      assertThat(texts(api.logs(id, "unquoted", 100))).containsExactly(values.get(i));
    }
    assertThat(semicolon).doesNotExist();
    assertThat(substitution).doesNotExist();
    assertThat(backticks).doesNotExist();
  }

  // ---- secrets

  @Test
  void a_secret_is_masked_in_runs_logs_stream_and_audit() throws Exception {
    String secret = "s3cr3t-" + UUID.randomUUID();
    String template =
        api.template(
            "secret",
            new JsonArray().add(param("password").put("secret", true)).add(param("user")),
            command("login", "echo \"user=$user password=$password\"; echo \"$password\" >&2"));
    JsonObject params = new JsonObject().put("password", secret).put("user", "bob");

    Answer dryRun =
        api.server.post(
            "/api/v1/runs",
            api.operator,
            new JsonObject()
                .put("template", template)
                .put("params", params)
                .put("dryRun", true)
                .encode());
    assertThat(dryRun.status()).as(dryRun.toString()).isEqualTo(200);
    assertThat(dryRun.body()).doesNotContain(secret);
    assertThat(dryRun.json().getJsonObject("params").getString("password")).isEqualTo("******");

    Answer created = api.post(template, params);
    assertThat(created.status()).isEqualTo(202);
    assertThat(created.body()).doesNotContain(secret);
    long id = created.json().getLong("id");
    JsonObject run = api.awaitEnd(id);
    assertThat(run.getString("status")).isEqualTo("SUCCEEDED");

    Answer got = api.server.get("/api/v1/runs/" + id, api.operator);
    assertThat(got.body()).doesNotContain(secret);
    assertThat(got.json().getJsonObject("params").getString("password")).isEqualTo("******");
    assertThat(got.json().getJsonObject("params").getString("user")).isEqualTo("bob");

    Answer list = api.server.get("/api/v1/runs?template=" + template, api.operator);
    assertThat(list.body()).doesNotContain(secret).contains("******");

    List<JsonObject> lines = api.awaitLogs(id, l -> l.size() >= 2);
    assertThat(texts(lines)).containsExactlyInAnyOrder("user=bob password=******", "******");
    Answer logs = api.logsPage(id, "");
    assertThat(logs.body()).doesNotContain(secret);

    Sse.Received stream =
        Sse.follow(api.server.port(), "/api/v1/runs/" + id + "/logs/stream", api.operator);
    assertThat(stream.body()).doesNotContain(secret).contains("password=******");

    Answer audit = api.server.get("/api/v1/audit?kind=run&target=" + id, ADMIN_TOKEN);
    assertThat(audit.status()).as(audit.toString()).isEqualTo(200);
    assertThat(audit.json().getJsonArray("items")).isNotEmpty();
    assertThat(audit.body()).doesNotContain(secret).contains("******");
    assertThat(api.server.get("/api/v1/audit?kind=run&limit=500", ADMIN_TOKEN).body())
        .doesNotContain(secret);
  }

  @Test
  void a_secret_in_an_http_url_is_masked_in_its_url_encoded_form_too() {
    String secret = "p@ss w0rd/" + UUID.randomUUID();
    String encoded = RunsApi.encode(secret).replace("+", "%20");
    try (Target target = new Target()) {
      String template =
          api.template(
              "secret-http",
              new JsonArray().add(param("token").put("secret", true)),
              new JsonObject()
                  .put("name", "call")
                  .put("kind", "http")
                  .put("url", target.base() + "/check?token=$token"));

      long id = api.start(template, new JsonObject().put("token", secret));

      JsonObject run = api.awaitEnd(id);
      assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
      assertThat(target.requested).contains("/check?token=" + encoded);
      List<JsonObject> lines = api.awaitLogs(id, l -> !l.isEmpty());
      assertThat(texts(lines)).anySatisfy(l -> assertThat(l).contains("-> 200"));
      String body = api.logsPage(id, "").body();
      assertThat(body).doesNotContain(secret).doesNotContain(encoded);
      assertThat(api.server.get("/api/v1/runs/" + id, api.operator).body())
          .doesNotContain(secret)
          .doesNotContain(encoded);
    }
  }

  @Test
  void a_secret_is_masked_in_the_error_of_an_http_step_that_cannot_be_sent() {
    String secret = "key-" + UUID.randomUUID();
    String template =
        api.template(
            "secret-bad-url",
            new JsonArray().add(param("host")).add(param("key").put("secret", true)),
            new JsonObject()
                .put("name", "bad-host")
                .put("kind", "http")
                .put("url", "http://$host:9/x?key=$key"),
            new JsonObject()
                .put("name", "bad-path")
                .put("kind", "http")
                .put("url", "http://127.0.0.1:9/a b/$key")
                .put("needs", new JsonArray()));

    long id = api.start(template, new JsonObject().put("host", "no such host").put("key", secret));

    JsonObject run = api.awaitEnd(id);
    assertThat(RunsApi.stepStatus(run, "bad-host")).isEqualTo("FAILED");
    assertThat(RunsApi.stepStatus(run, "bad-path")).isEqualTo("FAILED");
    assertThat(RunsApi.step(run, "bad-host").getString("error")).contains("******");
    assertThat(RunsApi.step(run, "bad-path").getString("error")).contains("******");
    assertThat(api.server.get("/api/v1/runs/" + id, api.operator).body()).doesNotContain(secret);
    assertThat(api.server.get("/api/v1/runs?template=" + template, api.operator).body())
        .doesNotContain(secret);
    assertThat(api.logsPage(id, "").body()).doesNotContain(secret);
  }

  // ---- stored logs

  static String printing(String prefix, int count) {
    return "i=1; while [ $i -le " + count + " ]; do echo \"" + prefix + "-$i\"; i=$((i+1)); done";
  }

  @Test
  void logs_page_in_order_with_no_duplicates_and_filter_by_step() {
    String template =
        api.template(
            "paging",
            new JsonArray(),
            command("alpha", printing("alpha", 15)),
            command("beta", printing("beta", 15)));
    long id = api.start(template, (JsonObject) null);
    assertThat(api.awaitEnd(id).getString("status")).isEqualTo("SUCCEEDED");
    api.awaitLogs(id, l -> l.size() == 30);
    List<String> expected = new ArrayList<>();
    IntStream.rangeClosed(1, 15).forEach(i -> expected.add("alpha-" + i));
    IntStream.rangeClosed(1, 15).forEach(i -> expected.add("beta-" + i));

    // Walk by hand with limit 7: 7 + 7 + 7 + 7 + 2, next null only on the last page.
    List<String> walked = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      Answer page =
          api.logsPage(id, "limit=7" + (after == null ? "" : "&after=" + RunsApi.encode(after)));
      assertThat(page.status()).as(page.toString()).isEqualTo(200);
      JsonArray items = page.json().getJsonArray("items");
      after = page.json().getString("next");
      pages++;
      assertThat(items.size()).isEqualTo(after == null ? 2 : 7);
      items.forEach(o -> walked.add(((JsonObject) o).getString("line")));
    } while (after != null);
    assertThat(pages).isEqualTo(5);
    assertThat(walked).containsExactlyElementsOf(expected);

    assertThat(texts(api.logs(id, null, 30))).containsExactlyElementsOf(expected);
    Answer exact = api.logsPage(id, "limit=30");
    assertThat(exact.json().getJsonArray("items")).hasSize(30);
    assertThat(exact.json().getValue("next")).isNull();

    List<JsonObject> beta = api.logs(id, "beta", 4);
    assertThat(texts(beta)).containsExactlyElementsOf(expected.subList(15, 30));
    assertThat(beta).allSatisfy(l -> assertThat(l.getString("step")).isEqualTo("beta"));
    assertThat(beta.stream().map(l -> l.getLong("seq")).toList())
        .containsExactlyElementsOf(IntStream.rangeClosed(1, 15).mapToObj(i -> (long) i).toList());
    Answer unknownStep = api.logsPage(id, "step=nope");
    assertThat(unknownStep.status()).as(unknownStep.toString()).isEqualTo(404);
    assertThat(unknownStep.errorCode()).isEqualTo("not_found");
    assertThat(unknownStep.body()).contains("nope");
  }

  @Test
  void q_keeps_the_lines_containing_the_text_ignoring_case_paged_and_with_the_step_filter() {
    String template =
        api.template(
            "searching",
            new JsonArray(),
            command("alpha", printing("Alpha", 12)),
            command("beta", printing("beta", 12)));
    long id = api.start(template, (JsonObject) null);
    assertThat(api.awaitEnd(id).getString("status")).isEqualTo("SUCCEEDED");
    api.awaitLogs(id, l -> l.size() == 24);

    // "a-1" is in alpha-1, alpha-10..12 and beta-1, beta-10..12: four pages of two.
    List<String> found = new ArrayList<>();
    String after = null;
    do {
      Answer page =
          api.logsPage(
              id, "q=A-1&limit=2" + (after == null ? "" : "&after=" + RunsApi.encode(after)));
      assertThat(page.status()).as(page.toString()).isEqualTo(200);
      page.json().getJsonArray("items").forEach(o -> found.add(((JsonObject) o).getString("line")));
      after = page.json().getString("next");
    } while (after != null);
    assertThat(found)
        .containsExactly(
            "Alpha-1",
            "Alpha-10",
            "Alpha-11",
            "Alpha-12",
            "beta-1",
            "beta-10",
            "beta-11",
            "beta-12");
    Answer beta = api.logsPage(id, "q=a-1&step=beta&limit=100");
    assertThat(
            beta.json().getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("line")))
        .containsExactly("beta-1", "beta-10", "beta-11", "beta-12");
    Answer percent = api.logsPage(id, "q=" + RunsApi.encode("%") + "&limit=100");
    assertThat(percent.json().getJsonArray("items")).isEmpty();
  }

  @Test
  void bad_log_queries_are_400_and_an_unknown_run_404() {
    long id = api.start(checked, valid());
    api.awaitEnd(id);
    assertRejected(api.logsPage(id, "limit=0"), "limit", "between");
    assertRejected(api.logsPage(id, "limit=abc"), "limit", "whole number");
    assertRejected(api.logsPage(id, "limit=10001"), "limit", "between");
    assertRejected(api.logsPage(id, "limit=100000000000"), "limit", "between");
    Answer cursor = api.logsPage(id, "after=garbage");
    assertThat(cursor.status()).as(cursor.toString()).isEqualTo(400);
    Answer unknown = api.logsPage(987654321L, "");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.errorCode()).isEqualTo("not_found");
    assertThat(api.server.get("/api/v1/runs/abc/logs", api.operator).status()).isEqualTo(400);
    assertThat(api.server.get("/api/v1/runs/" + id + "/logs", null).status()).isEqualTo(401);
  }

  // ---- live stream

  /** Checks that every line 1..count of the one step came exactly once, in seq order. */
  static void assertEveryLineOnceInOrder(List<Sse.Event> events, String prefix, int count) {
    List<JsonObject> logs =
        events.stream().filter(e -> e.type().equals("log")).map(Sse.Event::data).toList();
    assertThat(logs.stream().map(l -> l.getString("line")).toList())
        .containsExactlyElementsOf(
            IntStream.rangeClosed(1, count).mapToObj(i -> prefix + "-" + i).toList());
    assertThat(logs.stream().map(l -> l.getLong("seq")).toList())
        .containsExactlyElementsOf(
            IntStream.rangeClosed(1, count).mapToObj(i -> (long) i).toList());
    Set<Long> stepRuns = new HashSet<>();
    logs.forEach(l -> stepRuns.add(l.getLong("stepRunId")));
    assertThat(stepRuns).hasSize(1);
  }

  static int lastIndexOf(List<Sse.Event> events, String type) {
    for (int i = events.size() - 1; i >= 0; i--) {
      if (events.get(i).type().equals(type)) {
        return i;
      }
    }
    return -1;
  }

  @Test
  void a_follower_joining_mid_run_gets_every_line_once_in_order_then_run_and_end()
      throws Exception {
    String template =
        api.template(
            "stream",
            new JsonArray(),
            command(
                "tick",
                "i=1; while [ $i -le 200 ]; do echo \"tick-$i\"; sleep 0.01; i=$((i+1)); done"));
    long id = api.start(template, (JsonObject) null);
    api.awaitLogs(id, l -> l.size() >= 20);
    assertThat(api.run(id).getString("status")).isEqualTo("RUNNING");

    Sse.Received live =
        Sse.follow(api.server.port(), "/api/v1/runs/" + id + "/logs/stream", api.operator);

    assertThat(live.status()).isEqualTo(200);
    List<Sse.Event> events = live.events();
    assertEveryLineOnceInOrder(events, "tick", 200);
    assertThat(events.get(0).type()).as("the step's start, above its first line").isEqualTo("step");
    assertThat(events.get(0).data().getString("status")).isEqualTo("RUNNING");
    Sse.Event end = events.get(events.size() - 1);
    assertThat(end.type()).isEqualTo("end");
    assertThat(end.data().getString("status")).isEqualTo("SUCCEEDED");
    assertThat(end.data().getLong("runId")).isEqualTo(id);
    int run = lastIndexOf(events, "run");
    assertThat(run).as("a run event before end").isGreaterThan(lastIndexOf(events, "log"));
    assertThat(events.get(run).data().getString("status")).isEqualTo("SUCCEEDED");
    assertThat(
            events.stream()
                .filter(e -> e.type().equals("step"))
                .map(e -> e.data().getString("status")))
        .contains("SUCCEEDED");

    Sse.Received replay =
        Sse.follow(api.server.port(), "/api/v1/runs/" + id + "/logs/stream", api.operator);
    assertEveryLineOnceInOrder(replay.events(), "tick", 200);
    Sse.Event replayEnd = replay.events().get(replay.events().size() - 1);
    assertThat(replayEnd.type()).isEqualTo("end");
    assertThat(replayEnd.data().getString("status")).isEqualTo("SUCCEEDED");
    // The step's end, which a client joining after it missed, comes below its last line.
    List<String> types = replay.events().stream().map(Sse.Event::type).toList();
    assertThat(types.subList(0, 200)).containsOnly("log");
    assertThat(types.subList(200, types.size())).containsExactly("step", "end");
    assertThat(replay.events().get(200).data().getString("status")).isEqualTo("SUCCEEDED");
    assertThat(replay.events().get(200).data().getString("previousStatus")).isNull();
  }

  @Test
  void a_follower_of_a_canceled_run_gets_every_stored_line_before_end() throws Exception {
    String template =
        api.template("stream-cancel", new JsonArray(), command("wait", "echo waiting; sleep 1000"));
    long id = api.start(template, (JsonObject) null);
    api.awaitLogs(id, l -> texts(l).contains("waiting"));
    Sse follower = Sse.open(api.server.port(), "/api/v1/runs/" + id + "/logs/stream", api.operator);

    Answer cancel = api.server.post("/api/v1/runs/" + id + "/cancel", api.operator, null);
    assertThat(cancel.status()).as(cancel.toString()).isEqualTo(200);
    Sse.Received live = follower.readToEnd();

    JsonObject run = api.await(id, r -> RunsApi.stepStatus(r, "wait").equals("CANCELED"));
    long lines = RunsApi.step(run, "wait").getLong("lines");
    List<JsonObject> stored = api.awaitLogs(id, l -> l.size() == lines);
    Sse.Event end = live.events().get(live.events().size() - 1);
    assertThat(end.type()).isEqualTo("end");
    assertThat(end.data().getString("status")).isEqualTo("CANCELED");
    assertThat(
            live.events().stream()
                .filter(e -> e.type().equals("log"))
                .map(e -> e.data().getString("line")))
        .as("stored: %s", texts(stored))
        .containsExactlyElementsOf(texts(stored));
  }

  @Test
  void the_stream_needs_a_token_and_a_known_run() throws Exception {
    Sse.Received noToken = Sse.follow(api.server.port(), "/api/v1/runs/1/logs/stream", null);
    assertThat(noToken.status()).isEqualTo(401);
    Sse.Received unknown =
        Sse.follow(api.server.port(), "/api/v1/runs/987654321/logs/stream", api.operator);
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.body()).contains("not_found");
  }
}
