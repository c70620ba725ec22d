package io.nightshift.web.http;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.template.EarlierBodies;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonObject;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The templates API over real HTTP; run once per store by the subclasses. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class TemplatesApiTest {
  static final String STEP = "{\"name\":\"s\",\"kind\":\"command\",\"command\":\"echo hi\"}";

  TestServer server;
  String viewer;

  abstract TestServer.Store store();

  @BeforeAll
  void start() {
    server = TestServer.start(store());
    viewer = server.token("viewer-" + store().name().toLowerCase(), "viewer");
  }

  @AfterAll
  void stop() {
    server.close();
  }

  static String template(String name) {
    return "{\"name\":\"" + name + "\",\"steps\":[" + STEP + "]}";
  }

  @Test
  void create_read_update_list_and_delete_a_template() {
    Answer created = server.post("/api/v1/templates", ADMIN_TOKEN, template("crud"));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().getInteger("version")).isEqualTo(1);
    assertThat(created.response().headers().firstValue("Location"))
        .hasValue("/api/v1/templates/crud");

    String v2 =
        "{\"name\":\"crud\",\"steps\":[{\"name\":\"s\",\"kind\":\"command\",\"command\":\"echo v2\"}]}";
    Answer updated = server.put("/api/v1/templates/crud", ADMIN_TOKEN, v2);
    assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
    assertThat(updated.json().getInteger("version")).isEqualTo(2);

    Answer latest = server.get("/api/v1/templates/crud", viewer);
    assertThat(latest.status()).isEqualTo(200);
    assertThat(latest.json().getInteger("version")).isEqualTo(2);
    assertThat(latest.json().getJsonArray("steps").getJsonObject(0).getString("command"))
        .isEqualTo("echo v2");
    assertThat(latest.json().getString("createdAt"))
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");

    Answer first = server.get("/api/v1/templates/crud?version=1", viewer);
    assertThat(first.json().getJsonArray("steps").getJsonObject(0).getString("command"))
        .isEqualTo("echo hi");

    Answer list = server.get("/api/v1/templates?limit=500", viewer);
    assertThat(
            list.json().getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("name")))
        .contains("crud");

    assertThat(server.delete("/api/v1/templates/crud", ADMIN_TOKEN).status()).isEqualTo(204);
    assertThat(server.get("/api/v1/templates/crud", viewer).status()).isEqualTo(404);
  }

  /**
   * A version an earlier Nightshift let through ({@code "steps": null}) is listed and shown with
   * its problem, not failing the list page or the read; a run of it is 409 naming the version; a
   * PUT replaces it (before, every read of it, the page listing it and the PUT correcting it were
   * 400).
   */
  @Test
  void a_version_stored_that_this_node_cannot_read_is_shown_with_its_problem_and_can_be_replaced() {
    assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, template("broken")).status())
        .isEqualTo(201);
    assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, template("broken-next")).status())
        .isEqualTo(201);
    EarlierBodies.store(
        server.nightshift().database().dsl(), "broken", EarlierBodies.nullSteps("broken"));
    String problem =
        "template 'broken' version 1 as stored is not valid: steps: is required; save a corrected"
            + " version (PUT /api/v1/templates/broken)";

    Answer list = server.get("/api/v1/templates?limit=500", viewer);
    assertThat(list.status()).as(list.toString()).isEqualTo(200);
    java.util.Map<String, JsonObject> byName = new java.util.HashMap<>();
    list.json()
        .getJsonArray("items")
        .forEach(o -> byName.put(((JsonObject) o).getString("name"), (JsonObject) o));
    assertThat(byName.get("broken").getString("problem")).isEqualTo(problem);
    assertThat(byName.get("broken").getJsonArray("steps")).isEmpty();
    assertThat(byName.get("broken-next").containsKey("problem")).isFalse();
    assertThat(byName.get("broken-next").getJsonArray("steps")).hasSize(1);

    Answer shown = server.get("/api/v1/templates/broken", viewer);
    assertThat(shown.status()).as(shown.toString()).isEqualTo(200);
    assertThat(shown.json().getString("problem")).isEqualTo(problem);
    assertThat(server.get("/api/v1/templates/broken?version=1", viewer).json().getString("problem"))
        .isEqualTo(problem);

    Answer run = server.post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"broken\"}");
    assertThat(run.status()).as(run.toString()).isEqualTo(409);
    assertThat(run.errorCode()).isEqualTo("stored_invalid");
    assertThat(run.errorMessage()).isEqualTo(problem);

    Answer fixed = server.put("/api/v1/templates/broken", ADMIN_TOKEN, template("broken"));
    assertThat(fixed.status()).as(fixed.toString()).isEqualTo(200);
    assertThat(fixed.json().getInteger("version")).isEqualTo(2);
    Answer latest = server.get("/api/v1/templates/broken", viewer);
    assertThat(latest.json().containsKey("problem")).isFalse();
    assertThat(latest.json().getJsonArray("steps")).hasSize(1);
    assertThat(server.post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"broken\"}").status())
        .isEqualTo(202);
  }

  @Test
  void put_of_a_new_name_creates_version_1() {
    Answer created = server.put("/api/v1/templates/put-new", ADMIN_TOKEN, template("put-new"));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().getInteger("version")).isEqualTo(1);
  }

  @Test
  void the_list_pages_with_a_cursor() {
    for (int i = 0; i < 5; i++) {
      server.post("/api/v1/templates", ADMIN_TOKEN, template("page-" + i));
    }
    Answer first = server.get("/api/v1/templates?limit=2&after=page-", viewer);
    assertThat(first.json().getJsonArray("items").getJsonObject(0).getString("name"))
        .isEqualTo("page-0");
    String next = first.json().getString("next");
    assertThat(next).isEqualTo("page-1");
    Answer second = server.get("/api/v1/templates?limit=2&after=" + next, viewer);
    assertThat(second.json().getJsonArray("items").getJsonObject(0).getString("name"))
        .isEqualTo("page-2");
  }

  @Test
  void a_duplicate_name_is_409() {
    server.post("/api/v1/templates", ADMIN_TOKEN, template("dup"));
    Answer again = server.post("/api/v1/templates", ADMIN_TOKEN, template("dup"));
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.errorCode()).isEqualTo("conflict");
    assertThat(again.errorMessage()).contains("dup");
  }

  static Stream<Arguments> badTemplates() {
    String cmd = "\"kind\":\"command\",\"command\":\"true\"";
    return Stream.of(
        Arguments.of("not JSON", "{name: oops", "body", "not valid JSON"),
        Arguments.of("an array", "[1,2]", "body", "must be a JSON object"),
        Arguments.of("no name", "{\"steps\":[" + STEP + "]}", "name", "is required"),
        Arguments.of(
            "bad name", "{\"name\":\"Bad Name\",\"steps\":[" + STEP + "]}", "name", "must match"),
        Arguments.of(
            "name too long",
            "{\"name\":\"" + "a".repeat(65) + "\",\"steps\":[" + STEP + "]}",
            "name",
            "at most 64"),
        Arguments.of("no steps", "{\"name\":\"x\"}", "steps", "is required"),
        Arguments.of("empty steps", "{\"name\":\"x\",\"steps\":[]}", "steps", "at least one step"),
        Arguments.of(
            "unknown kind",
            "{\"name\":\"x\",\"steps\":[{\"name\":\"a\",\"kind\":\"ssh\"}]}",
            "steps[0].kind",
            "unknown step kind 'ssh'"),
        Arguments.of(
            "command missing",
            "{\"name\":\"x\",\"steps\":[{\"name\":\"a\",\"kind\":\"command\"}]}",
            "steps[0].command",
            "is required"),
        Arguments.of(
            "unknown need",
            "{\"name\":\"x\",\"steps\":[{\"name\":\"a\","
                + cmd
                + "},{\"name\":\"b\","
                + cmd
                + ",\"needs\":[\"zz\"]}]}",
            "steps[1].needs",
            "unknown step 'zz'"),
        Arguments.of(
            "duplicate step",
            "{\"name\":\"x\",\"steps\":[{\"name\":\"a\","
                + cmd
                + "},{\"name\":\"a\","
                + cmd
                + "}]}",
            "steps[1].name",
            "duplicate step name 'a'"),
        Arguments.of(
            "cycle",
            "{\"name\":\"x\",\"steps\":[{\"name\":\"a\","
                + cmd
                + ",\"needs\":[\"b\"]},{\"name\":\"b\","
                + cmd
                + ",\"needs\":[\"a\"]}]}",
            "steps",
            "cycle"),
        Arguments.of(
            "duplicate param",
            "{\"name\":\"x\",\"params\":[{\"name\":\"v\"},{\"name\":\"v\"}],\"steps\":["
                + STEP
                + "]}",
            "params[1].name",
            "duplicate parameter 'v'"),
        Arguments.of(
            "bad param name",
            "{\"name\":\"x\",\"params\":[{\"name\":\"1v\"}],\"steps\":[" + STEP + "]}",
            "params[0].name",
            "shell variable name"),
        Arguments.of(
            "reserved param",
            "{\"name\":\"x\",\"params\":[{\"name\":\"NIGHTSHIFT_RUN_ID\"}],\"steps\":["
                + STEP
                + "]}",
            "params[0].name",
            "reserved"),
        Arguments.of(
            "param that would preload a library",
            "{\"name\":\"x\",\"params\":[{\"name\":\"LD_PRELOAD\"}],\"steps\":[" + STEP + "]}",
            "params[0].name",
            "decide what code"),
        Arguments.of(
            "param that would move command lookup",
            "{\"name\":\"x\",\"params\":[{\"name\":\"v\"},{\"name\":\"PATH\"}],\"steps\":["
                + STEP
                + "]}",
            "params[1].name",
            "decide what code"),
        Arguments.of(
            "default not in enum",
            "{\"name\":\"x\",\"params\":[{\"name\":\"r\",\"default\":\"asia\",\"enum\":[\"eu\",\"us\"]}],\"steps\":["
                + STEP
                + "]}",
            "params[0].default",
            "not one of the enum"),
        Arguments.of(
            "bad pattern",
            "{\"name\":\"x\",\"params\":[{\"name\":\"r\",\"pattern\":\"([a-z\"}],\"steps\":["
                + STEP
                + "]}",
            "params[0].pattern",
            "not a valid regular expression"),
        Arguments.of(
            "approval without approvers",
            "{\"name\":\"x\",\"steps\":[{\"name\":\"qa\",\"kind\":\"approval\"}]}",
            "steps[0].approvers",
            "at least one approver"),
        Arguments.of(
            "unknown field",
            "{\"name\":\"x\",\"colour\":\"red\",\"steps\":[" + STEP + "]}",
            "colour",
            "unknown field"),
        Arguments.of(
            "field of another kind",
            "{\"name\":\"x\",\"steps\":[{\"name\":\"a\"," + cmd + ",\"url\":\"http://x\"}]}",
            "steps[0].url",
            "unknown field"),
        Arguments.of(
            "negative timeout",
            "{\"name\":\"x\",\"steps\":[{\"name\":\"a\"," + cmd + ",\"timeoutSeconds\":-5}]}",
            "steps[0].timeoutSeconds",
            "between 1 and"),
        Arguments.of(
            "timeout as text",
            "{\"name\":\"x\",\"steps\":[{\"name\":\"a\"," + cmd + ",\"timeoutSeconds\":\"10\"}]}",
            "steps[0].timeoutSeconds",
            "whole number"),
        Arguments.of(
            "http url scheme",
            "{\"name\":\"x\",\"steps\":[{\"name\":\"h\",\"kind\":\"http\",\"url\":\"ftp://x\"}]}",
            "steps[0].url",
            "http:// or https://"),
        Arguments.of(
            "rollback without undo",
            "{\"name\":\"x\",\"onFailure\":\"rollback\",\"steps\":[" + STEP + "]}",
            "onFailure",
            "no step has an 'undo'"),
        Arguments.of(
            "bad onTimeout",
            "{\"name\":\"x\",\"steps\":[{\"name\":\"qa\",\"kind\":\"approval\",\"approvers\":[\"role:qa\"],\"onTimeout\":\"maybe\"}]}",
            "steps[0].onTimeout",
            "'deny' or 'approve'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTemplates")
  void bad_input_is_400_naming_the_field(String why, String body, String field, String message) {
    Answer answer = server.post("/api/v1/templates", ADMIN_TOKEN, body);

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

  @Test
  void a_put_whose_body_names_another_template_is_400() {
    Answer answer = server.put("/api/v1/templates/one", ADMIN_TOKEN, template("two"));
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.errorMessage()).contains("differs from the name in the URL");
  }

  @Test
  void a_bad_name_in_the_url_is_400() {
    Answer answer = server.get("/api/v1/templates/BAD%20NAME", viewer);
    assertThat(answer.status()).isEqualTo(400);
    assertThat(answer.errorMessage()).startsWith("name:");
  }

  @Test
  void bad_query_parameters_are_400_naming_them() {
    assertThat(server.get("/api/v1/templates?limit=0", viewer).errorMessage()).startsWith("limit:");
    assertThat(server.get("/api/v1/templates?limit=abc", viewer).errorMessage())
        .startsWith("limit:");
    server.post("/api/v1/templates", ADMIN_TOKEN, template("versioned"));
    assertThat(server.get("/api/v1/templates/versioned?version=x", viewer).errorMessage())
        .startsWith("version:");
  }

  @Test
  void missing_templates_are_404() {
    assertThat(server.get("/api/v1/templates/nope", viewer).status()).isEqualTo(404);
    assertThat(server.delete("/api/v1/templates/nope", ADMIN_TOKEN).status()).isEqualTo(404);
    Answer version = server.get("/api/v1/templates/nope?version=3", viewer);
    assertThat(version.status()).isEqualTo(404);
    assertThat(version.errorCode()).isEqualTo("not_found");
  }

  @Test
  void a_body_over_the_limit_is_413() {
    String huge =
        "{\"name\":\"big\",\"description\":\""
            + "x".repeat(100 * 1024)
            + "\",\"steps\":["
            + STEP
            + "]}";
    Answer answer = server.post("/api/v1/templates", ADMIN_TOKEN, huge);
    assertThat(answer.status()).isEqualTo(413);
    assertThat(answer.errorCode()).isEqualTo("body_too_large");
  }

  @Test
  void no_token_or_a_wrong_token_is_401() {
    Answer none = server.get("/api/v1/templates", null);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.errorMessage()).contains("Authorization: Bearer");
    assertThat(none.response().headers().firstValue("WWW-Authenticate")).isPresent();
    assertThat(server.get("/api/v1/templates", "not-a-token").status()).isEqualTo(401);
  }

  @Test
  void a_viewer_may_read_but_not_write() {
    Answer write = server.post("/api/v1/templates", viewer, template("by-viewer"));
    assertThat(write.status()).isEqualTo(403);
    assertThat(write.errorCode()).isEqualTo("forbidden");
    assertThat(write.errorMessage()).contains("operator");
    assertThat(server.delete("/api/v1/templates/by-viewer", viewer).status()).isEqualTo(403);
    assertThat(server.get("/api/v1/templates", viewer).status()).isEqualTo(200);
  }

  @Test
  void unknown_endpoints_and_methods_answer_json_errors() {
    Answer missing = server.get("/api/v1/nothing-here", viewer);
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.errorCode()).isEqualTo("not_found");
    Answer method = server.send("PATCH", "/api/v1/templates/x", ADMIN_TOKEN, "{}");
    assertThat(method.status()).isEqualTo(405);
    assertThat(method.errorCode()).isEqualTo("method_not_allowed");
  }

  @Test
  void changes_are_in_the_audit_trail() {
    server.post("/api/v1/templates", ADMIN_TOKEN, template("audited"));
    Answer audit = server.get("/api/v1/audit?kind=template&target=audited", ADMIN_TOKEN);
    assertThat(audit.status()).isEqualTo(200);
    JsonObject event = audit.json().getJsonArray("items").getJsonObject(0);
    assertThat(event.getString("action")).isEqualTo("template.create");
    assertThat(event.getString("actor")).isEqualTo("admin");
  }
}
