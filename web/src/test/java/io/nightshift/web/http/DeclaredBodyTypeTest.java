package io.nightshift.web.http;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A JSON body is read as JSON whatever Content-Type the client declared: {@code curl -d} (as the
 * README's examples use it) declares a form. Multipart bodies are refused with 415, token or not.
 */
class DeclaredBodyTypeTest {
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = TestServer.start(TestServer.Store.H2);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** A template of well over the ~1 KB a form field may hold, with characters forms mangle. */
  private static String bigTemplate(String name) {
    return new JsonObject()
        .put("name", name)
        .put("description", "a & b = c + d % e; ".repeat(90))
        .put(
            "steps",
            new JsonArray()
                .add(
                    new JsonObject()
                        .put("name", "hello")
                        .put("kind", "command")
                        .put("command", "echo 'a+b=c&d'")))
        .encode();
  }

  @Test
  void a_json_body_declared_as_a_form_plain_text_or_nothing_is_read_as_json() {
    String[] types = {
      "application/x-www-form-urlencoded",
      "application/x-www-form-urlencoded; charset=UTF-8",
      "text/plain",
      null
    };
    for (int i = 0; i < types.length; i++) {
      String name = "declared-" + i;
      String body = bigTemplate(name);
      assertThat(body.length()).isGreaterThan(1_500);
      TestServer.Answer created =
          server.send("POST", "/api/v1/templates", ADMIN_TOKEN, body, types[i]);
      assertThat(created.status()).as(types[i] + ": " + created).isEqualTo(201);
      TestServer.Answer read = server.get("/api/v1/templates/" + name, ADMIN_TOKEN);
      assertThat(read.json().getString("description"))
          .as("stored exactly as sent, " + types[i])
          .isEqualTo(new JsonObject(body).getString("description"));
    }
  }

  @Test
  void a_template_sent_as_yaml_is_validated_like_json_with_the_same_field_paths() {
    String yaml =
        "name: from-yaml\n"
            + "description: 'a: b # not a comment'\n"
            + "steps:\n"
            + "  - name: hello\n"
            + "    kind: command\n"
            + "    command: echo hi\n";
    for (String type : new String[] {"application/yaml", "application/x-yaml; charset=utf-8"}) {
      TestServer.Answer created =
          server.send(
              "POST",
              "/api/v1/templates",
              ADMIN_TOKEN,
              yaml.replace("from-yaml", "from-yaml-" + type.length()),
              type);
      assertThat(created.status()).as(type + ": " + created).isEqualTo(201);
      assertThat(created.json().getString("description")).isEqualTo("a: b # not a comment");
    }
    TestServer.Answer bad =
        server.send(
            "POST",
            "/api/v1/templates",
            ADMIN_TOKEN,
            "name: bad-yaml\nsteps:\n  - name: a\n    kind: command\n",
            "application/yaml");
    assertThat(bad.status()).as(bad.toString()).isEqualTo(400);
    assertThat(bad.body()).contains("steps[0].command");
    TestServer.Answer broken =
        server.send(
            "POST", "/api/v1/templates", ADMIN_TOKEN, "name: [unclosed", "application/yaml");
    assertThat(broken.status()).as(broken.toString()).isEqualTo(400);
    assertThat(broken.body()).contains("body").contains("YAML");
  }

  @Test
  void a_multipart_body_is_refused_with_415_with_or_without_a_token() {
    String multipart =
        "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n"
            + "x".repeat(3000)
            + "\r\n--b--\r\n";
    for (String token : new String[] {ADMIN_TOKEN, null}) {
      TestServer.Answer answer =
          server.send(
              "POST", "/api/v1/templates", token, multipart, "multipart/form-data; boundary=b");
      assertThat(answer.status()).as(answer.toString()).isEqualTo(415);
      assertThat(answer.json().getJsonObject("error").getString("message"))
          .contains("application/json");
    }
  }

  @Test
  void a_form_typed_body_that_is_not_json_gets_a_400_naming_the_body() {
    TestServer.Answer answer =
        server.send(
            "POST",
            "/api/v1/templates",
            ADMIN_TOKEN,
            "name=x&" + "a=b&".repeat(500),
            "application/x-www-form-urlencoded");
    assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
    assertThat(answer.body()).contains("body");
  }
}
