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
                .post(
                    "/api/v1/tokens",
                    ADMIN_TOKEN,
                    "{\"name\":\"x\",\"roles\":[\"viewer\",\"qa\",\"viewer\"]}")
                .errorMessage())
        .isEqualTo("roles[2]: 'viewer' is listed twice");
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

  @Test
  void names_the_audit_trail_uses_are_refused_as_token_names_and_owners() {
    for (String reserved : new String[] {"scheduler", "system"}) {
      Answer asName =
          server.post(
              "/api/v1/tokens",
              ADMIN_TOKEN,
              "{\"name\":\"" + reserved + "\",\"roles\":[\"approver\"]}");
      assertThat(asName.status()).as(asName.toString()).isEqualTo(400);
      assertThat(asName.errorMessage()).startsWith("name: ").contains("audit trail");

      Answer asOwner =
          server.post(
              "/api/v1/tokens",
              ADMIN_TOKEN,
              "{\"name\":\"by-"
                  + reserved
                  + "\",\"owner\":\""
                  + reserved
                  + "\","
                  + "\"roles\":[\"approver\"]}");
      assertThat(asOwner.status()).as(asOwner.toString()).isEqualTo(400);
      assertThat(asOwner.errorMessage()).startsWith("owner: ").contains("audit trail");
    }
    assertThat(
            server.get("/api/v1/tokens", ADMIN_TOKEN).json().getJsonArray("items").stream()
                .map(o -> ((JsonObject) o).getString("name")))
        .doesNotContain("scheduler", "system", "by-scheduler", "by-system");
  }

  @Test
  void the_last_admin_token_cannot_be_deleted_and_other_roles_do_not_count_as_admins() {
    server.token("only-viewer", "viewer");
    server.token("only-operator", "operator", "approver");
    Answer last = server.delete("/api/v1/tokens/admin", ADMIN_TOKEN);
    assertThat(last.status()).as(last.toString()).isEqualTo(409);
    assertThat(last.errorMessage()).contains("last admin token");

    server.token("second-admin", "viewer", "admin");
    assertThat(server.delete("/api/v1/tokens/second-admin", ADMIN_TOKEN).status()).isEqualTo(204);
    assertThat(server.delete("/api/v1/tokens/admin", ADMIN_TOKEN).status()).isEqualTo(409);
    assertThat(server.get("/api/v1/tokens", ADMIN_TOKEN).status()).isEqualTo(200);
  }
}
