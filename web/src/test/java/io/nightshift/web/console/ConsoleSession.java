package io.nightshift.web.console;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.WebElement;

/**
 * A real server (H2) and a real headless Chromium for the console tests, with helpers over the API.
 * After every test the browser's console must hold no error (a CSP violation is one).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ConsoleSession {
  TestServer server;
  Browser browser;
  String operator;

  /** The server's configuration; tests may change a section. */
  Config config() {
    var dir = TempFolders.create("nightshift-console-server-");
    return TestServer.config(dir, TestDatabases.h2Settings(dir), null);
  }

  @BeforeAll
  void start() {
    server = TestServer.start(config());
    operator = server.token("olga", "operator");
    browser = Browser.open(browserPort());
  }

  /** The port the browser opens the console on (a test class may put a proxy in between). */
  int browserPort() {
    return server.port();
  }

  @AfterAll
  void stop() {
    try {
      if (browser != null) {
        browser.close();
      }
    } finally {
      java.nio.file.Path dir = server.nightshift().config().dataDir();
      server.close();
      deleteIfOurs(dir);
    }
  }

  /** The server's data (an H2 file of up to 200 MB) goes with the session that made it. */
  private static void deleteIfOurs(java.nio.file.Path dir) {
    if (dir == null || !dir.getFileName().toString().startsWith("nightshift-console-server-")) {
      return;
    }
    TempFolders.delete(dir);
  }

  @AfterEach
  void noConsoleErrors() {
    List<String> errors = browser.consoleErrors();
    assertThat(errors).as("errors in the browser's console").isEmpty();
  }

  void createTemplate(JsonObject template) {
    var answer = server.post("/api/v1/templates", ADMIN_TOKEN, template.encode());
    assertThat(answer.status()).as(answer.toString()).isEqualTo(201);
  }

  long startRun(String template, JsonObject params) {
    var answer =
        server.post(
            "/api/v1/runs",
            operator,
            new JsonObject().put("template", template).put("params", params).encode());
    assertThat(answer.status()).as(answer.toString()).isEqualTo(202);
    return answer.json().getLong("id");
  }

  JsonObject run(long id) {
    return server.get("/api/v1/runs/" + id, ADMIN_TOKEN).json();
  }

  String runStatus(long id) {
    return run(id).getString("status");
  }

  /** An approval step that {@code approver} (a token name or role:NAME) may decide. */
  static JsonObject approval(String name, String approver) {
    return new JsonObject()
        .put("name", name)
        .put("kind", "approval")
        .put("approvers", new JsonArray().add(approver));
  }

  void setText(String css, String text) {
    WebElement area = browser.find(css);
    area.clear();
    // Typing a long JSON text key by key is slow; set it and announce the input like a person
    // would.
    browser.script(
        "const el = arguments[0]; el.value = arguments[1];"
            + " el.dispatchEvent(new Event('input', {bubbles: true}));",
        area,
        text);
  }

  /** Creates a template of these steps, starts it and waits until the run reaches the status. */
  long finishedRun(String template, String status, JsonObject... steps) {
    JsonArray list = new JsonArray();
    for (JsonObject step : steps) {
      list.add(step);
    }
    createTemplate(new JsonObject().put("name", template).put("steps", list));
    long id = startRun(template, new JsonObject());
    Awaitility.await().atMost(Browser.WAIT).until(() -> runStatus(id).equals(status));
    return id;
  }
}
