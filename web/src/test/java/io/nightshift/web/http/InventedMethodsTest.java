package io.nightshift.web.http;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A method a path does not have, invented ({@code FOO}), in the wrong case ({@code get}) or real
 * but not served ({@code PROPFIND}, {@code DELETE}), gets 405 with a message naming the method and
 * the path, on the service endpoints (no token needed) and the API (after the token), never 200.
 */
class InventedMethodsTest {
  private TestServer server;

  @BeforeEach
  void start() throws Exception {
    Path dataDir = TempFolders.create("nightshift-methods-");
    Config config = TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null);
    server = TestServer.start(config);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void a_method_the_path_does_not_have_gets_405_naming_it() throws Exception {
    for (String path : List.of("/health", "/ready", "/metrics", "/api/v1/runs", "/api/v1/audit")) {
      for (String method : List.of("FOO", "get", "PROPFIND", "DELETE")) {
        String answer = request(method, path);
        String where = method + " " + path + " -> " + answer;
        assertThat(answer).as(where).startsWith("HTTP/1.1 405 ");
        JsonObject error =
            new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4)).getJsonObject("error");
        assertThat(error.getString("code")).as(where).isEqualTo("method_not_allowed");
        assertThat(error.getString("message"))
            .as(where)
            .isEqualTo("method " + method + " is not allowed on " + path);
      }
    }
    assertThat(request("GET", "/health")).startsWith("HTTP/1.1 200 ");
  }

  @Test
  void head_is_answered_as_get_without_a_body_but_not_on_a_live_stream() throws Exception {
    // A load balancer's HEAD /health check, curl -I: it was 405.
    for (String path : List.of("/health", "/ready", "/", "/api/v1/runs", "/api/v1/templates")) {
      String answer = request("HEAD", path);
      assertThat(answer).as("HEAD " + path + " -> " + answer).startsWith("HTTP/1.1 200 ");
      assertThat(answer).as("HEAD " + path).endsWith("\r\n\r\n");
      String get = request("GET", path);
      assertThat(header(answer, "content-type")).isEqualTo(header(get, "content-type"));
    }
    assertThat(request("HEAD", "/api/v1/runs/1/logs/stream")).startsWith("HTTP/1.1 405 ");
    assertThat(request("HEAD", "/api/v1/runs/1/logs/stream/")).startsWith("HTTP/1.1 405 ");
    assertThat(request("HEAD", "/api/v1/runs?limit=1")).startsWith("HTTP/1.1 200 ");
    // The absolute form of a request target (as sent to a proxy) is served too.
    assertThat(request("HEAD", "http://127.0.0.1:" + server.port() + "/health"))
        .startsWith("HTTP/1.1 200 ");
    assertThat(request("HEAD", "/api/v1/nope")).startsWith("HTTP/1.1 404 ");
  }

  private static String header(String answer, String name) {
    return answer
        .substring(0, answer.indexOf("\r\n\r\n"))
        .lines()
        .filter(l -> l.toLowerCase(java.util.Locale.ROOT).startsWith(name + ":"))
        .findFirst()
        .orElse(null);
  }

  /** One raw HTTP/1.1 request (any method token) with the admin token; the whole answer. */
  private String request(String method, String path) throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket
          .getOutputStream()
          .write(
              (method
                      + " "
                      + path
                      + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                      + ADMIN_TOKEN
                      + "\r\nConnection: close\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
