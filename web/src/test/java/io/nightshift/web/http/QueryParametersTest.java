package io.nightshift.web.http;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.TestSteps.command;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Query parameters on the real server: an unknown one is 400 naming it on every GET route of the
 * API (each route class), each documented one is taken; run lists filter by several statuses and by
 * creation time; the audit trail by action.
 */
class QueryParametersTest {
  static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(TestServer.Store.H2);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** Every GET operation under /api/v1 in the OpenAPI document, with its query parameters. */
  @SuppressWarnings("unchecked")
  static Map<String, List<String>> getOperations() throws Exception {
    Map<String, Object> doc = io.nightshift.web.ApiContract.document().getMap();
    Map<String, Object> components = (Map<String, Object>) doc.get("components");
    Map<String, Object> shared = (Map<String, Object>) components.get("parameters");
    Map<String, List<String>> out = new java.util.TreeMap<>();
    ((Map<String, Object>) doc.get("paths"))
        .forEach(
            (path, value) -> {
              Map<String, Object> ops = (Map<String, Object>) value;
              if (!path.startsWith("/api/v1/")
                  || path.equals("/api/v1/openapi.yaml")
                  || !ops.containsKey("get")) {
                return;
              }
              List<Object> params = new ArrayList<>();
              params.addAll((List<Object>) ops.getOrDefault("parameters", List.of()));
              params.addAll(
                  (List<Object>)
                      ((Map<String, Object>) ops.get("get")).getOrDefault("parameters", List.of()));
              List<String> query = new ArrayList<>();
              for (Object p : params) {
                Map<String, Object> param = (Map<String, Object>) p;
                if (param.containsKey("$ref")) {
                  String ref = (String) param.get("$ref");
                  param = (Map<String, Object>) shared.get(ref.substring(ref.lastIndexOf('/') + 1));
                }
                if ("query".equals(param.get("in"))) {
                  query.add((String) param.get("name"));
                }
              }
              out.put(path.replace("{id}", "1").replace("{name}", "nothing-here"), query);
            });
    return out;
  }

  @Test
  void an_unknown_query_parameter_is_400_naming_it_on_every_get_route() throws Exception {
    Map<String, List<String>> operations = getOperations();
    assertThat(operations).containsKeys("/api/v1/runs", "/api/v1/audit", "/api/v1/jobs");
    for (String path : operations.keySet()) {
      Answer answer = server.get(path + "?stauts=FAILED", ADMIN_TOKEN);
      assertThat(answer.status()).as(path + ": " + answer).isEqualTo(400);
      JsonObject problem =
          answer.json().getJsonObject("error").getJsonArray("details").getJsonObject(0);
      assertThat(problem.getString("field")).as(path).isEqualTo("stauts");
      assertThat(problem.getString("message")).as(path).contains("unknown query parameter");
      assertThat(answer.errorMessage()).as(path).startsWith("stauts:");
    }
  }

  @Test
  void a_parameter_of_one_value_given_twice_is_400_naming_it() {
    for (String query :
        List.of(
            "/api/v1/runs?limit=1&limit=2",
            "/api/v1/runs?since=2026-01-01T00:00:00Z&since=2026-02-01T00:00:00Z",
            "/api/v1/audit?limit=5&limit=5")) {
      Answer answer = server.get(query, ADMIN_TOKEN);
      assertThat(answer.status()).as(query + ": " + answer).isEqualTo(400);
      assertThat(answer.errorMessage()).as(query).endsWith("given 2 times; it takes one value");
    }
    assertThat(server.get("/api/v1/runs?status=FAILED&status=CANCELED", ADMIN_TOKEN).status())
        .as("a parameter of several values may be repeated")
        .isEqualTo(200);
  }

  @Test
  void a_caller_without_the_permission_is_403_whatever_parameters_it_sends() {
    String operator = server.token("query-operator", "operator");
    for (String path : List.of("/api/v1/audit", "/api/v1/tokens")) {
      Answer answer = server.get(path + "?stauts=FAILED", operator);
      assertThat(answer.status()).as(path + ": " + answer).isEqualTo(403);
    }
  }

  @Test
  void every_documented_query_parameter_is_taken() throws Exception {
    for (Map.Entry<String, List<String>> op : getOperations().entrySet()) {
      for (String param : op.getValue()) {
        Answer answer = server.get(op.getKey() + "?" + param + "=1", ADMIN_TOKEN);
        assertThat(answer.body()).as(op.getKey() + " " + param).doesNotContain("unknown query");
      }
    }
  }

  @Test
  void runs_filter_by_several_statuses_and_by_creation_time() {
    String template = "query-statuses";
    JsonObject body =
        new JsonObject()
            .put("name", template)
            .put("params", new JsonArray().add(new JsonObject().put("name", "cmd")))
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "only")
                            .put("kind", "command")
                            .put("command", "sh -c \"$cmd\"")));
    assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, body.encode()).status())
        .isEqualTo(201);
    JsonObject failed = run(template, "exit 3");
    JsonObject succeeded = run(template, "true");
    JsonObject canceled = run(template, "sleep 60");
    awaitStatus(failed, "FAILED");
    awaitStatus(succeeded, "SUCCEEDED");
    awaitStep(canceled, "RUNNING");
    assertThat(
            server
                .post("/api/v1/runs/" + canceled.getLong("id") + "/cancel", ADMIN_TOKEN, null)
                .status())
        .isEqualTo(200);
    awaitStatus(canceled, "CANCELED");

    String scope = "&template=" + template;
    assertThat(ids("/api/v1/runs?status=FAILED,CANCELED" + scope))
        .containsExactly(canceled.getLong("id"), failed.getLong("id"));
    assertThat(ids("/api/v1/runs?status=failed&status=succeeded" + scope))
        .containsExactly(succeeded.getLong("id"), failed.getLong("id"));
    assertThat(ids("/api/v1/runs?status=SUCCEEDED" + scope))
        .containsExactly(succeeded.getLong("id"));

    String secondCreated = succeeded.getString("createdAt");
    String thirdCreated = canceled.getString("createdAt");
    assertThat(ids("/api/v1/runs?since=" + encode(secondCreated) + scope))
        .containsExactly(canceled.getLong("id"), succeeded.getLong("id"));
    assertThat(ids("/api/v1/runs?until=" + encode(thirdCreated) + scope))
        .doesNotContain(canceled.getLong("id"))
        .contains(failed.getLong("id"));
    assertThat(
            ids(
                "/api/v1/runs?since="
                    + encode(secondCreated)
                    + "&until="
                    + encode(thirdCreated)
                    + scope))
        .containsExactly(succeeded.getLong("id"));

    Answer badSince = server.get("/api/v1/runs?since=yesterday", ADMIN_TOKEN);
    assertThat(badSince.status()).isEqualTo(400);
    assertThat(badSince.errorMessage()).startsWith("since:").contains("yesterday");
    Answer backwards =
        server.get(
            "/api/v1/runs?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z", ADMIN_TOKEN);
    assertThat(backwards.status()).isEqualTo(400);
    assertThat(backwards.errorMessage()).startsWith("until:");
    Answer badStatus = server.get("/api/v1/runs?status=FAILED,NOPE", ADMIN_TOKEN);
    assertThat(badStatus.status()).isEqualTo(400);
    assertThat(badStatus.errorMessage()).startsWith("status:").contains("NOPE");
  }

  @Test
  void the_audit_trail_filters_by_action() {
    String name = "audited-template";
    JsonObject body =
        new JsonObject().put("name", name).put("steps", new JsonArray().add(command("s", "true")));
    assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, body.encode()).status())
        .isEqualTo(201);
    assertThat(server.delete("/api/v1/templates/" + name, ADMIN_TOKEN).status()).isEqualTo(204);

    JsonArray all =
        server.get("/api/v1/audit?target=" + name, ADMIN_TOKEN).json().getJsonArray("items");
    assertThat(all).hasSizeGreaterThanOrEqualTo(2);
    String created = all.getJsonObject(all.size() - 1).getString("action");
    String deleted = all.getJsonObject(0).getString("action");
    assertThat(created).isNotEqualTo(deleted);

    JsonArray onlyDeleted =
        server
            .get("/api/v1/audit?target=" + name + "&action=" + deleted, ADMIN_TOKEN)
            .json()
            .getJsonArray("items");
    assertThat(onlyDeleted).isNotEmpty();
    onlyDeleted.forEach(e -> assertThat(((JsonObject) e).getString("action")).isEqualTo(deleted));
    JsonArray both =
        server
            .get("/api/v1/audit?target=" + name + "&action=" + deleted + "," + created, ADMIN_TOKEN)
            .json()
            .getJsonArray("items");
    assertThat(both).hasSize(all.size());
    assertThat(
            server
                .get("/api/v1/audit?action=no.such.action", ADMIN_TOKEN)
                .json()
                .getJsonArray("items"))
        .isEmpty();
  }

  @Test
  void the_audit_trail_pages_back_to_its_first_record() {
    String name = "paged-audit";
    for (int version = 1; version <= 3; version++) {
      JsonObject body =
          new JsonObject()
              .put("description", "version " + version)
              .put("steps", new JsonArray().add(command("s", "true")));
      assertThat(server.put("/api/v1/templates/" + name, ADMIN_TOKEN, body.encode()).status())
          .isBetween(200, 201);
    }
    String scope = "/api/v1/audit?target=" + name + "&limit=2";
    JsonObject first = server.get(scope, ADMIN_TOKEN).json();
    assertThat(first.getJsonArray("items")).hasSize(2);
    assertThat(first.getString("next")).isNotNull();
    JsonObject second =
        server.get(scope + "&before=" + first.getString("next"), ADMIN_TOKEN).json();
    assertThat(second.getJsonArray("items")).hasSize(1);
    assertThat(second.getValue("next")).as("the first record: no page after it").isNull();
    List<Long> ids = new java.util.ArrayList<>();
    for (JsonObject page : List.of(first, second)) {
      page.getJsonArray("items").forEach(e -> ids.add(((JsonObject) e).getLong("id")));
    }
    assertThat(ids)
        .doesNotHaveDuplicates()
        .isSortedAccordingTo(java.util.Comparator.reverseOrder());
    Answer bad = server.get("/api/v1/audit?before=yesterday", ADMIN_TOKEN);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.errorMessage()).startsWith("before:");
  }

  // ---- helpers

  static JsonObject run(String template, String cmd) {
    Answer started =
        server.post(
            "/api/v1/runs",
            ADMIN_TOKEN,
            new JsonObject()
                .put("template", template)
                .put("params", new JsonObject().put("cmd", cmd))
                .encode());
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    return started.json();
  }

  static void awaitStatus(JsonObject run, String status) {
    awaitField(run, r -> r.getString("status"), status);
  }

  static void awaitStep(JsonObject run, String status) {
    awaitField(run, r -> r.getJsonArray("steps").getJsonObject(0).getString("status"), status);
  }

  static void awaitField(
      JsonObject run, java.util.function.Function<JsonObject, String> field, String value) {
    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(
            () -> field.apply(server.get("/api/v1/runs/" + run.getLong("id"), ADMIN_TOKEN).json()),
            value::equals);
  }

  static List<Long> ids(String path) {
    Answer answer = server.get(path, ADMIN_TOKEN);
    assertThat(answer.status()).as(path + ": " + answer).isEqualTo(200);
    List<Long> ids = new ArrayList<>();
    answer.json().getJsonArray("items").forEach(r -> ids.add(((JsonObject) r).getLong("id")));
    return ids;
  }

  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
