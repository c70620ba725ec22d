package io.nightshift.web;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The OpenAPI document is valid, served, complete, and strict enough to catch a drift. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiContractTest {
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
  void the_document_loads_and_validates_as_openapi_3_1() {
    // OpenAPIContract.from validates the document against the OpenAPI 3.1 meta-schema.
    assertThat(ApiContract.get().contract().getVersion()).isEqualTo(OpenAPIVersion.V3_1);
    assertThat(ApiContract.document().getString("openapi")).isEqualTo("3.1.0");
  }

  @Test
  void the_document_is_served_without_a_token_exactly_as_written() throws Exception {
    Answer answer = server.get("/api/v1/openapi.yaml", null);
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.response().headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/yaml");
    try (var in = getClass().getClassLoader().getResourceAsStream("api/openapi.yaml")) {
      assertThat(answer.body()).isEqualTo(new String(in.readAllBytes(), "UTF-8"));
    }
  }

  @Test
  void the_routes_of_the_server_and_the_operations_of_the_document_are_the_same() {
    // The API's routes; pages (the console at /, the reference page) are not operations.
    Set<String> routes = new TreeSet<>();
    for (String route : server.nightshift().routes()) {
      String path = route.substring(route.indexOf(' ') + 1);
      if (path.startsWith("/api/") || Set.of("/health", "/ready", "/metrics").contains(path)) {
        routes.add(route);
      }
    }
    Set<String> documented = new TreeSet<>(ApiContract.get().operations());
    List<String> undocumented = new ArrayList<>(routes);
    undocumented.removeAll(documented);
    List<String> unrouted = new ArrayList<>(documented);
    unrouted.removeAll(routes);
    assertThat(undocumented).as("routes the OpenAPI document does not describe").isEmpty();
    assertThat(unrouted).as("documented operations the server has no route for").isEmpty();
    assertThat(routes).contains("GET /api/v1/runs/{id}", "POST /api/v1/approvals/{id}/deny");
  }

  @Test
  void every_operation_that_needs_a_token_names_the_roles_that_may_call_it() {
    JsonObject paths = ApiContract.document().getJsonObject("paths");
    List<String> missing = new ArrayList<>();
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (method.equals("parameters")) {
          continue;
        }
        JsonObject operation = item.getJsonObject(method);
        boolean open =
            operation.containsKey("security") && operation.getJsonArray("security").isEmpty();
        if (!open
            && operation.getJsonArray("x-roles", new io.vertx.core.json.JsonArray()).isEmpty()) {
          missing.add(method + " " + path);
        }
      }
    }
    assertThat(missing).as("operations without x-roles").isEmpty();
  }

  @Test
  void an_answer_with_a_renamed_field_or_an_unlisted_status_is_refused() {
    Answer created =
        server.post(
            "/api/v1/templates",
            ADMIN_TOKEN,
            "{\"name\":\"contract-t\",\"steps\":[{\"name\":\"a\",\"kind\":\"command\",\"command\":\"true\"}]}");
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String renamed = created.body().replace("\"version\"", "\"templateVersion\"");

    // The valid answer was checked (and remembered) when it arrived; a changed body is checked
    // anew, as often as it comes.
    ApiContract.get().check("POST", "/api/v1/templates", 201, "application/json", created.body());
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(
              () ->
                  ApiContract.get()
                      .check("POST", "/api/v1/templates", 201, "application/json", renamed))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("does not match the OpenAPI document");
    }
    assertThatThrownBy(
            () ->
                ApiContract.get()
                    .check("POST", "/api/v1/templates", 200, "application/json", created.body()))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("lists no status 200");
    assertThatThrownBy(
            () ->
                ApiContract.get()
                    .check(
                        "GET",
                        "/api/v1/templates/contract-t",
                        404,
                        "application/json",
                        "{\"message\":\"no such template\"}"))
        .isInstanceOf(AssertionError.class);
  }

  @Test
  void the_reference_page_and_its_vendored_viewer_are_served_without_a_token() {
    Answer page = server.send("GET", "/api/reference/", null, null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body()).contains("swagger-ui-bundle.js").doesNotContain("https://");
    Answer viewer = server.send("GET", "/api/reference/swagger-ui-bundle.js", null, null);
    assertThat(viewer.status()).isEqualTo(200);
    assertThat(viewer.body().length()).isGreaterThan(100_000);
  }

  @Test
  void an_unknown_endpoint_answers_404_in_the_error_envelope() {
    Answer answer = server.get("/api/v1/nothing-here", ADMIN_TOKEN);
    assertThat(answer.status()).isEqualTo(404);
    assertThat(answer.errorCode()).isEqualTo("not_found");
  }
}
