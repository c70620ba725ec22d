package io.nightshift.scheduler.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.scheduler.error.Invalid;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TemplateParserTest {

  static JsonObject gameUpdate() {
    try (InputStream in =
        TemplateParserTest.class.getResourceAsStream("/templates/game-update.json")) {
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void the_design_example_parses_with_needs_resolved() {
    Template t = TemplateParser.parse(gameUpdate(), null);

    assertThat(t.name()).isEqualTo("game-update");
    assertThat(t.onFailure()).isEqualTo(OnFailure.ROLLBACK);
    assertThat(t.steps()).hasSize(8);
    assertThat(t.step("stop").orElseThrow().needs()).isEmpty();
    assertThat(t.step("backup").orElseThrow().needs()).containsExactly("stop");
    assertThat(t.step("start").orElseThrow().needs()).containsExactly("qa");
    assertThat(t.step("upgrade-app").orElseThrow().retries()).isEqualTo(2);
    assertThat(t.step("backup").orElseThrow().action())
        .isEqualTo(new StepAction.Script("bash", "mysqldump game > /backup/$version.sql"));
    assertThat(t.step("qa").orElseThrow().action())
        .isEqualTo(new StepAction.Approval(java.util.List.of("role:qa"), "QA passed?", "deny"));
    assertThat(t.param("db_password").orElseThrow().secret()).isTrue();
  }

  @Test
  void writing_and_reading_back_gives_the_same_template() {
    Template t = TemplateParser.parse(gameUpdate(), null);
    Template again = TemplateParser.parse(TemplateJson.toJson(t), null);
    assertThat(again).isEqualTo(t);
  }

  @Test
  void steps_null_is_as_missing_as_no_steps_at_all() {
    for (String body : java.util.List.of("{\"name\":\"x\",\"steps\":null}", "{\"name\":\"x\"}")) {
      assertThatThrownBy(() -> TemplateParser.parse(new JsonObject(body), null))
          .as(body)
          .hasMessageContaining("steps: is required");
    }
  }

  @Test
  void an_enum_of_a_null_is_one_problem_naming_the_item() {
    JsonObject json =
        new JsonObject(
            "{\"name\":\"x\",\"params\":[{\"name\":\"v\",\"enum\":[null]}],"
                + "\"steps\":[{\"name\":\"a\",\"kind\":\"command\",\"command\":\"true\"}]}");
    assertThatThrownBy(() -> TemplateParser.parse(json, null))
        .isInstanceOfSatisfying(
            io.nightshift.scheduler.error.Invalid.class,
            e ->
                assertThat(e.problems())
                    .singleElement()
                    .satisfies(p -> assertThat(p.field()).startsWith("params[0].enum[0]")));
  }

  @Test
  void empty_needs_means_start_at_once_in_parallel() {
    JsonObject json =
        new JsonObject(
            "{\"name\":\"p\",\"steps\":[{\"name\":\"a\",\"kind\":\"command\",\"command\":\"true\"},"
                + "{\"name\":\"b\",\"kind\":\"command\",\"command\":\"true\",\"needs\":[]}]}");
    Template t = TemplateParser.parse(json, null);
    assertThat(StepGraph.of(t.steps()).ready(java.util.Set.of(), java.util.Set.of()))
        .containsExactly("a", "b");
  }

  @Test
  void a_cycle_is_reported_with_its_path() {
    JsonObject json =
        new JsonObject(
            "{\"name\":\"c\",\"steps\":["
                + "{\"name\":\"a\",\"kind\":\"command\",\"command\":\"true\",\"needs\":[\"c\"]},"
                + "{\"name\":\"b\",\"kind\":\"command\",\"command\":\"true\",\"needs\":[\"a\"]},"
                + "{\"name\":\"c\",\"kind\":\"command\",\"command\":\"true\",\"needs\":[\"b\"]}]}");
    assertThatThrownBy(() -> TemplateParser.parse(json, null))
        .isInstanceOf(Invalid.class)
        .hasMessageContaining("cycle")
        .hasMessageContaining("a -> c -> b -> a");
  }

  @Test
  void every_problem_is_listed_with_its_field() {
    JsonObject json =
        new JsonObject(
            "{\"name\":\"Bad Name\",\"steps\":[{\"name\":\"a\",\"kind\":\"command\"},"
                + "{\"name\":\"b\",\"kind\":\"http\",\"url\":\"ftp://x\",\"retries\":-1}]}");
    assertThatThrownBy(() -> TemplateParser.parse(json, null))
        .isInstanceOfSatisfying(
            Invalid.class,
            e ->
                assertThat(e.problems())
                    .extracting(Invalid.Problem::field)
                    .containsExactlyInAnyOrder(
                        "name", "steps[0].command", "steps[1].url", "steps[1].retries"));
  }

  @Test
  void a_name_in_the_body_must_match_the_url() {
    JsonObject json = gameUpdate();
    assertThatThrownBy(() -> TemplateParser.parse(json, "other"))
        .isInstanceOf(Invalid.class)
        .hasMessageContaining("differs from the name in the URL");
  }

  @Test
  void parameter_names_that_decide_what_code_runs_are_refused_for_new_templates_only() {
    assertThat(Names.isCodeVariable("PATH")).isTrue();
    assertThat(Names.isCodeVariable("LD_PRELOAD")).isTrue();
    assertThat(Names.isCodeVariable("GIT_CONFIG_KEY_0")).isTrue();
    assertThat(Names.isCodeVariable("npm_config_script_shell")).isTrue();
    assertThat(Names.isCodeVariable("Npm_Config_Script_Shell")).isTrue();
    assertThat(Names.isCodeVariable("GIT_DIR")).isTrue();
    assertThat(Names.isCodeVariable("MAVEN_OPTS")).isTrue();
    assertThat(Names.isCodeVariable("GIT_BRANCH")).isFalse();
    for (String program :
        java.util.List.of(
            "GIT_ASKPASS",
            "SSH_ASKPASS",
            "GIT_PAGER",
            "PAGER",
            "LESSOPEN",
            "EDITOR",
            "PERL5DB",
            "GIT_TEMPLATE_DIR",
            "XDG_CONFIG_HOME",
            "ZDOTDIR")) {
      assertThat(Names.isCodeVariable(program)).as(program).isTrue();
    }
    assertThat(Names.isCodeVariable("ENV")).as("ENV=prod is a common parameter").isFalse();
    assertThat(Names.isCodeVariable("HOME")).isFalse();
    assertThat(Names.isCodeVariable("TARGET_PATH")).isFalse();
    io.vertx.core.json.JsonObject body =
        new io.vertx.core.json.JsonObject(
            "{\"name\":\"t\",\"params\":[{\"name\":\"ENV\"},{\"name\":\"BASH_ENV\"}],"
                + "\"steps\":[{\"name\":\"a\",\"kind\":\"command\",\"command\":\"true\"}]}");
    assertThatThrownBy(() -> TemplateParser.parseNew(body, null))
        .hasMessageContaining("params[1].name")
        .hasMessageContaining("BASH_ENV");
    assertThat(TemplateParser.parse(body, null).params()).hasSize(2);
  }

  /**
   * What failed only when a run started (found by hand: every run of a job relying on the default
   * got a 400 naming a parameter its caller never sent) is refused when the template is stored;
   * stored templates are still read as they are.
   */
  @Test
  void what_would_fail_at_run_time_is_refused_when_stored() {
    io.vertx.core.json.JsonObject shortSecret =
        new io.vertx.core.json.JsonObject(
            "{\"name\":\"t\",\"params\":[{\"name\":\"pw\",\"secret\":true,\"default\":\"ab\"}],"
                + "\"steps\":[{\"name\":\"a\",\"kind\":\"command\",\"command\":\"true\"}]}");
    assertThatThrownBy(() -> TemplateParser.parseNew(shortSecret, null))
        .hasMessageContaining("params[0].default: a secret value must be at least 4 characters")
        .hasMessageNotContaining("ab");
    assertThat(TemplateParser.parse(shortSecret, null).params()).hasSize(1);

    io.vertx.core.json.JsonObject header =
        new io.vertx.core.json.JsonObject()
            .put("name", "t")
            .put(
                "steps",
                new io.vertx.core.json.JsonArray()
                    .add(
                        new io.vertx.core.json.JsonObject()
                            .put("name", "a")
                            .put("kind", "http")
                            .put("url", "http://127.0.0.1:9/")
                            .put(
                                "headers",
                                new io.vertx.core.json.JsonObject()
                                    .put("X-A", "b\r\nX-Injected: 1")))
                    .add(
                        new io.vertx.core.json.JsonObject()
                            .put("name", "b")
                            .put("kind", "notify")
                            .put("url", "http://127.0.0.1:9/")
                            .put("headers", new io.vertx.core.json.JsonObject().put("X-A\n", "v")))
                    .add(
                        new io.vertx.core.json.JsonObject()
                            .put("name", "c")
                            .put("kind", "command")
                            .put("command", "echo a\u0000b")));
    assertThatThrownBy(() -> TemplateParser.parseNew(header, null))
        .isInstanceOfSatisfying(
            io.nightshift.scheduler.error.Invalid.class,
            e ->
                assertThat(e.problems())
                    .extracting(io.nightshift.scheduler.error.Invalid.Problem::sentence)
                    .containsExactly(
                        "steps[0].headers.X-A: must not contain line breaks or NUL",
                        "steps[1].headers: 'X-A?' is not a header name",
                        "steps[2].command: must not contain NUL characters"));
    assertThat(TemplateParser.parse(header, null).steps()).hasSize(3);

    io.vertx.core.json.JsonObject approveForEver =
        new io.vertx.core.json.JsonObject(
            "{\"name\":\"t\",\"steps\":[{\"name\":\"gate\",\"kind\":\"approval\","
                + "\"approvers\":[\"role:qa\"],\"onTimeout\":\"approve\"}]}");
    assertThatThrownBy(() -> TemplateParser.parseNew(approveForEver, null))
        .hasMessageContaining(
            "steps[0].onTimeout: 'approve' takes effect only with timeoutSeconds");
    assertThat(TemplateParser.parse(approveForEver, null).steps()).hasSize(1);
  }

  @Test
  void what_could_never_start_or_be_sent_is_refused_when_stored() {
    io.vertx.core.json.JsonObject template =
        new io.vertx.core.json.JsonObject()
            .put("name", "t")
            .put(
                "steps",
                new io.vertx.core.json.JsonArray()
                    .add(
                        new io.vertx.core.json.JsonObject()
                            .put("name", "long")
                            .put("kind", "command")
                            .put("command", "echo '" + "\u20ac".repeat(22_000) + "'")
                            .put("undo", "true " + "x".repeat(70_000)))
                    .add(
                        new io.vertx.core.json.JsonObject()
                            .put("name", "fits")
                            .put("kind", "command")
                            .put("command", "x".repeat(65_536)))
                    .add(
                        new io.vertx.core.json.JsonObject()
                            .put("name", "script")
                            .put("kind", "script")
                            .put("script", "echo " + "x".repeat(200_000)))
                    .add(
                        new io.vertx.core.json.JsonObject()
                            .put("name", "call")
                            .put("kind", "http")
                            .put("url", "http://127.0.0.1:9/")
                            .put(
                                "headers",
                                new io.vertx.core.json.JsonObject()
                                    .put("Host", "evil.example")
                                    .put("X-Fine", "yes")
                                    .put("connection", "close"))));
    assertThatThrownBy(() -> TemplateParser.parseNew(template, null))
        .isInstanceOfSatisfying(
            io.nightshift.scheduler.error.Invalid.class,
            e ->
                assertThat(e.problems())
                    .extracting(io.nightshift.scheduler.error.Invalid.Problem::sentence)
                    .containsExactlyInAnyOrder(
                        "steps[0].command: must be at most 65536 bytes in UTF-8, got 66007 (it is"
                            + " one argument of sh -c); a longer program belongs in a script step",
                        "steps[0].undo: must be at most 65536 bytes in UTF-8, got 70005 (it is"
                            + " one argument of sh -c); a longer program belongs in a script step",
                        "steps[3].headers.Host: is set by the HTTP client itself: a step cannot"
                            + " give any of connection, content-length, expect, host, upgrade",
                        "steps[3].headers.connection: is set by the HTTP client itself: a step"
                            + " cannot give any of connection, content-length, expect, host,"
                            + " upgrade"));
    assertThat(TemplateParser.parse(template, null).steps())
        .as("a stored template is still read")
        .hasSize(4);
  }

  @Test
  void a_steps_description_is_kept_and_bounded_and_an_enum_lists_each_value_once() {
    io.vertx.core.json.JsonObject json =
        new io.vertx.core.json.JsonObject(
            "{\"name\":\"t\",\"params\":[{\"name\":\"region\",\"enum\":[\"eu\",\"us\"]}],"
                + "\"steps\":[{\"name\":\"s\",\"kind\":\"command\",\"command\":\"true\","
                + "\"description\":\"dumps the database\"}]}");
    Template template = TemplateParser.parseNew(json, null);
    assertThat(template.steps().get(0).description()).isEqualTo("dumps the database");
    assertThat(
            TemplateJson.toJson(template)
                .getJsonArray("steps")
                .getJsonObject(0)
                .getString("description"))
        .isEqualTo("dumps the database");

    json.getJsonArray("steps").getJsonObject(0).put("description", "x".repeat(2001));
    assertThatThrownBy(() -> TemplateParser.parseNew(json, null))
        .hasMessage("steps[0].description: must be at most 2000 characters");

    json.getJsonArray("steps").getJsonObject(0).remove("description");
    json.getJsonArray("params")
        .getJsonObject(0)
        .put("enum", new io.vertx.core.json.JsonArray().add("eu").add("us").add("eu"));
    assertThatThrownBy(() -> TemplateParser.parseNew(json, null))
        .hasMessage("params[0].enum: lists 'eu' more than once");
    io.vertx.core.json.JsonArray many = new io.vertx.core.json.JsonArray();
    for (int i = 0; i < 1001; i++) {
      many.add("v" + i);
    }
    json.getJsonArray("params").getJsonObject(0).put("enum", many);
    assertThatThrownBy(() -> TemplateParser.parseNew(json, null))
        .hasMessage("params[0].enum: must list at most 1000 values, got 1001");
  }
}
