package io.nightshift.web.http;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TokensApiTest {
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
  void a_created_token_works_and_its_secret_is_shown_only_once() {
    Answer created =
        server.post("/api/v1/tokens", ADMIN_TOKEN, "{\"name\":\"ci\",\"roles\":[\"operator\"]}");
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String secret = created.json().getString("token");
    assertThat(secret).startsWith("ns_").hasSizeGreaterThan(40);

    assertThat(server.get("/api/v1/templates", secret).status()).isEqualTo(200);
    Answer list = server.get("/api/v1/tokens", ADMIN_TOKEN);
    assertThat(list.body()).doesNotContain(secret).doesNotContain("\"token\"");
    assertThat(
            list.json().getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("name")))
        .contains("ci", "admin");
  }

  @Test
  void a_deleted_token_no_longer_opens_the_api() {
    String secret = server.token("temp", "viewer");
    assertThat(server.delete("/api/v1/tokens/temp", ADMIN_TOKEN).status()).isEqualTo(204);
    assertThat(server.get("/api/v1/templates", secret).status()).isEqualTo(401);
    assertThat(server.delete("/api/v1/tokens/temp", ADMIN_TOKEN).status()).isEqualTo(404);
  }

  @Test
  void only_admins_manage_tokens() {
    String operator = server.token("op", "operator");
    Answer answer =
        server.post("/api/v1/tokens", operator, "{\"name\":\"x\",\"roles\":[\"admin\"]}");
    assertThat(answer.status()).isEqualTo(403);
    assertThat(server.get("/api/v1/tokens", operator).status()).isEqualTo(403);
  }

  @Test
  void bad_token_requests_are_400_naming_the_field() {
    assertThat(server.post("/api/v1/tokens", ADMIN_TOKEN, "{\"name\":\"x\"}").errorMessage())
        .startsWith("roles:");
    assertThat(
            server
                .post("/api/v1/tokens", ADMIN_TOKEN, "{\"name\":\"x\",\"roles\":[\"qa\"]}")
                .errorMessage())
        .startsWith("roles:")
        .contains("must include one of");
    assertThat(
            server
                .post("/api/v1/tokens", ADMIN_TOKEN, "{\"name\":\"X Y\",\"roles\":[\"viewer\"]}")
                .errorMessage())
        .startsWith("name:");
    assertThat(
            server
                .post(
                    "/api/v1/tokens",
                    ADMIN_TOKEN,
                    "{\"name\":\"x\",\"roles\":[\"viewer\"],\"token\":\"mine\"}")
                .errorMessage())
        .startsWith("token:");
  }

  @Test
  void health_and_metrics_need_no_token() {
    assertThat(server.get("/health", null).status()).isEqualTo(200);
    assertThat(server.get("/ready", null).json().getString("status")).isEqualTo("ready");
    Answer metrics = server.get("/metrics", null);
    assertThat(metrics.status()).isEqualTo(200);
    assertThat(metrics.body()).contains("vertx_http_server");
  }
}
