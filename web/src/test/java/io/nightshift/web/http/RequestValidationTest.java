package io.nightshift.web.http;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Bad input gets a quick 400 that names every problem: costly patterns, duplicate keys, oversized
 * lists, undeclared {@code $NAME}s, several problems in different parts of one request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RequestValidationTest {
  private static final String CATASTROPHIC = "(.*a){12}";
  private static final String THIRTY_TWO = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";

  TestServer server;

  @BeforeAll
  void start() {
    server = TestServer.start(TestServer.Store.H2);
  }

  @AfterAll
  void stop() {
    server.close();
  }

  @Test
  void a_backtracking_pattern_is_refused_quickly_at_template_validation() {
    // Variants that take seconds to minutes with java.util.regex on 32 characters.
    String[][] cases = {
      {CATASTROPHIC, THIRTY_TWO},
      {"(.*a){12}x", "a".repeat(32)},
      {"(.*){1,32000}[bc]x", "a".repeat(32)}
    };
    for (String[] c : cases) {
      String pattern = c[0];
      long started = System.nanoTime();
      Answer answer =
          postTemplate(
              template("costly-default")
                  .put(
                      "params",
                      new JsonArray()
                          .add(
                              new JsonObject()
                                  .put("name", "v")
                                  .put("pattern", pattern)
                                  .put("default", c[1]))));
      assertThat(millisSince(started)).as(pattern).isLessThan(3_000);
      assertRefused(answer, "params[0].default");
      assertThat(answer.errorMessage()).contains("could not be checked against the pattern");
    }
    Answer tooLong =
        postTemplate(
            template("long-pattern")
                .put(
                    "params",
                    new JsonArray()
                        .add(new JsonObject().put("name", "v").put("pattern", "a".repeat(501)))));
    assertRefused(tooLong, "params[0].pattern");
    assertThat(tooLong.errorMessage()).contains("at most 500 characters");
  }

  @Test
  void a_backtracking_pattern_is_refused_quickly_at_run_start_for_runs_and_jobs() {
    JsonObject t =
        template("costly-at-run")
            .put(
                "params",
                new JsonArray()
                    .add(new JsonObject().put("name", "v").put("pattern", CATASTROPHIC))
                    .add(new JsonObject().put("name", "w").put("pattern", "[a-z]+")));
    assertThat(postTemplate(t).status()).isEqualTo(201);

    long started = System.nanoTime();
    Answer run =
        post(
            "/api/v1/runs",
            "{\"template\":\"costly-at-run\",\"params\":{\"v\":\""
                + THIRTY_TWO
                + "\",\"w\":\"ok\"}}");
    assertThat(millisSince(started)).isLessThan(3_000);
    assertRefused(run, "params.v");

    Answer job =
        post(
            "/api/v1/jobs",
            "{\"name\":\"costly-job\",\"template\":\"costly-at-run\",\"params\":{\"v\":\""
                + THIRTY_TWO
                + "\",\"w\":\"NOT-LOWER\"}}");
    assertRefused(job, "params.v", "params.w");

    Answer fine =
        post(
            "/api/v1/runs",
            "{\"template\":\"costly-at-run\",\"dryRun\":true,\"params\":{\"v\":\"xa"
                + "a".repeat(11)
                + "\",\"w\":\"ok\"}}");
    assertThat(fine.status()).as(fine.toString()).isEqualTo(200);
  }

  @Test
  void a_key_that_appears_twice_is_refused_with_its_path_in_json_and_yaml_bodies() {
    Answer top =
        post(
            "/api/v1/templates",
            "{\"name\":\"dup\",\"name\":\"dup2\",\"steps\":[{\"name\":\"a\",\"kind\":\"command\","
                + "\"command\":\"true\"}]}");
    assertRefused(top, "name");

    Answer nested =
        post(
            "/api/v1/templates",
            "{\"name\":\"dup\",\"steps\":[{\"name\":\"a\",\"kind\":\"command\",\"command\":\"true\"},"
                + "{\"name\":\"b\",\"kind\":\"command\",\"command\":\"true\","
                + "\"command\":\"rm -rf /tmp/x\"}]}");
    assertRefused(nested, "steps[1].command");
    assertThat(nested.errorMessage()).contains("appears twice");

    assertThat(postTemplate(template("dup-run")).status()).isEqualTo(201);
    Answer params =
        post("/api/v1/runs", "{\"template\":\"dup-run\",\"params\":{\"x\":\"1\",\"x\":\"2\"}}");
    assertRefused(params, "params.x");

    Answer token =
        post(
            "/api/v1/tokens",
            "{\"name\":\"dup-token\",\"roles\":[\"viewer\"],\"roles\":[\"admin\"]}");
    assertRefused(token, "roles");

    Answer yaml =
        server.send(
            "POST",
            "/api/v1/templates",
            ADMIN_TOKEN,
            "name: dup-yaml\nsteps:\n  - name: a\n    kind: command\n    command: 'true'\n"
                + "    kind: script\n",
            "application/yaml");
    assertRefused(yaml, "steps[0].kind");
  }

  /** An alias to a node that contains it (before: 500, a StackOverflowError on the event loop). */
  @Test
  void a_yaml_alias_to_the_node_containing_it_is_400_naming_where() {
    for (String body :
        List.of(
            "name: t\nsteps: &s [{name: a, kind: command, command: echo, needs: *s}]\n",
            "name: t\na: &a [*a]\n")) {
      Answer answer =
          server.send("POST", "/api/v1/templates", ADMIN_TOKEN, body, "application/yaml");
      assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
      assertThat(answer.errorMessage())
          .contains("refers (through an alias) to a node that contains it");
    }
  }

  @Test
  void many_problems_are_listed_up_to_fifty_with_the_count_of_the_rest() {
    assertThat(postTemplate(template("few-params")).status()).isEqualTo(201);
    JsonObject undeclared = new JsonObject();
    for (int i = 0; i < 3_000; i++) {
      undeclared.put("p" + i, "1");
    }
    Answer answer =
        post(
            "/api/v1/runs",
            new JsonObject().put("template", "few-params").put("params", undeclared).encode());
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.json().getJsonObject("error").getJsonArray("details")).hasSize(50);
    assertThat(answer.json().getJsonObject("error").getInteger("detailsOmitted")).isEqualTo(2_950);
    assertThat(answer.errorMessage()).contains("2950 more are not listed");
    assertThat(answer.body().length()).isLessThan(20_000);
  }

  @Test
  void templates_are_capped_in_parameters_and_steps_and_bodies_in_size() {
    JsonArray params = new JsonArray();
    for (int i = 0; i < 201; i++) {
      params.add(new JsonObject().put("name", "p" + i));
    }
    Answer manyParams = postTemplate(template("many-params").put("params", params));
    assertRefused(manyParams, "params");
    assertThat(manyParams.errorMessage()).contains("at most 200 parameters, got 201");

    JsonArray steps = new JsonArray();
    for (int i = 0; i < 201; i++) {
      steps.add(
          new JsonObject().put("name", "s" + i).put("kind", "command").put("command", "true"));
    }
    Answer manySteps = postTemplate(template("many-steps").put("steps", steps));
    assertRefused(manySteps, "steps");

    Answer big =
        postTemplate(
            template("big").put("description", "x".repeat(server.port() > 0 ? 70_000 : 0)));
    assertThat(big.status()).isEqualTo(413);
    assertThat(big.errorCode()).isEqualTo("body_too_large");
  }

  @Test
  void every_problem_of_a_template_is_listed_whatever_part_it_is_in() {
    JsonObject bad =
        new JsonObject()
            .put("name", "Bad Name")
            .put("onFailure", "rollback")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "a")
                            .put("kind", "command")
                            .put("command", "true")
                            .put("needs", new JsonArray().add("nowhere")))
                    .add(
                        new JsonObject()
                            .put("name", "gate")
                            .put("kind", "approval")
                            .put("onTimeout", "maybe"))
                    .add(
                        new JsonObject()
                            .put("name", "c")
                            .put("kind", "command")
                            .put("needs", new JsonArray().add("gate"))));
    Answer answer = postTemplate(bad);
    assertRefused(
        answer,
        "name",
        "onFailure",
        "steps[0].needs",
        "steps[1].approvers",
        "steps[1].onTimeout",
        "steps[2].command");
  }

  @Test
  void every_problem_of_a_job_or_a_run_is_listed_with_the_parameter_problems() {
    JsonObject t =
        template("needs-region")
            .put(
                "params",
                new JsonArray()
                    .add(new JsonObject().put("name", "region").put("required", true))
                    .add(
                        new JsonObject()
                            .put("name", "size")
                            .put("enum", new JsonArray().add("s").add("m"))));
    assertThat(postTemplate(t).status()).isEqualTo(201);

    Answer job =
        post(
            "/api/v1/jobs",
            "{\"name\":\"bad-job\",\"template\":\"needs-region\",\"concurrency\":\"sometimes\","
                + "\"params\":{\"size\":\"xl\",\"colour\":\"red\"}}");
    assertRefused(job, "concurrency", "params.size", "params.colour", "params.region");

    Answer run =
        post(
            "/api/v1/runs",
            "{\"template\":\"needs-region\",\"colour\":1,\"params\":{\"size\":\"xl\"}}");
    assertRefused(run, "colour", "params.size", "params.region");

    assertThat(
            post(
                    "/api/v1/jobs",
                    "{\"name\":\"good-job\",\"template\":\"needs-region\","
                        + "\"params\":{\"region\":\"eu\"}}")
                .status())
        .isEqualTo(201);
    Answer runNow =
        post("/api/v1/jobs/good-job/runs", "{\"extra\":true,\"params\":{\"size\":\"xl\"}}");
    assertRefused(runNow, "extra", "params.size");
  }

  @Test
  void an_undeclared_name_in_http_and_notify_fields_is_refused_naming_field_and_name() {
    JsonObject t =
        new JsonObject()
            .put("name", "calls")
            .put("params", new JsonArray().add(new JsonObject().put("name", "version")))
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "check")
                            .put("kind", "http")
                            .put("url", "http://127.0.0.1:9/v/$version/$verison")
                            .put("headers", new JsonObject().put("X-Token", "${tokn}"))
                            .put("body", "{\"run\": \"$NIGHTSHIFT_RUN_ID\"}"))
                    .add(
                        new JsonObject()
                            .put("name", "tell")
                            .put("kind", "notify")
                            .put("url", "https://chat.example/hook/${version}")
                            .put("body", "deployed $version by $NIGHTSHIFT_TRIGGERED_BY $who")));
    Answer answer = postTemplate(t);
    assertRefused(answer, "steps[0].url", "steps[0].headers.X-Token", "steps[1].body");
    assertThat(answer.body()).contains("'$verison'").contains("'$tokn'").contains("'$who'");

    JsonObject fixed = t.copy();
    fixed.getJsonArray("steps").getJsonObject(0).put("url", "http://127.0.0.1:9/v/$version");
    fixed.getJsonArray("steps").getJsonObject(0).remove("headers");
    fixed.getJsonArray("steps").getJsonObject(1).put("body", "deployed $version");
    assertThat(postTemplate(fixed).status()).isEqualTo(201);
  }

  private Answer postTemplate(JsonObject body) {
    return post("/api/v1/templates", body.encode());
  }

  private Answer post(String path, String body) {
    return server.post(path, ADMIN_TOKEN, body);
  }

  /** A 400 whose details name exactly these fields (in any order). */
  private static void assertRefused(Answer answer, String... fields) {
    assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
    assertThat(fields(answer)).containsExactlyInAnyOrder(fields);
  }

  private static JsonObject template(String name) {
    return new JsonObject()
        .put("name", name)
        .put(
            "steps",
            new JsonArray()
                .add(
                    new JsonObject()
                        .put("name", "a")
                        .put("kind", "command")
                        .put("command", "true")));
  }

  private static List<String> fields(Answer answer) {
    List<String> out = new ArrayList<>();
    answer
        .json()
        .getJsonObject("error")
        .getJsonArray("details", new JsonArray())
        .forEach(d -> out.add(((JsonObject) d).getString("field")));
    return out;
  }

  private static long millisSince(long started) {
    return (System.nanoTime() - started) / 1_000_000;
  }
}
