package io.nightshift.web.readme;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every curl command of the README's examples, as written (curl with {@code -d}, so a form
 * type is declared; {@code -d @file}), with /usr/bin/curl against a fresh real server: only the
 * address and the tokens are put in, and every answer must be 2xx.
 */
class ReadmeExamplesTest {
  private static final Pattern STATUS = Pattern.compile("(?m)^readme-status=(\\d{3})$");

  @TempDir Path dir;

  @Test
  void the_readme_curl_examples_work_as_written() throws Exception {
    List<String> commands = ReadmeCurls.commands(ReadmeCurls.readme());
    assertThat(commands).as("the README shows curl examples").hasSizeGreaterThan(8);
    assertThat(commands).anyMatch(c -> c.contains("-d @game-update.json"));
    // The file the README's game-update example sends: the design's template (over 1 KB, sent as
    // a form by curl -d), its commands made harmless for a test machine.
    Files.writeString(dir.resolve("game-update.json"), gameUpdate());
    try (TestServer server = TestServer.start(TestServer.Store.H2)) {
      String qaToken = "";
      for (String command : commands) {
        if (command.contains("/approvals")) {
          // The README: "the run reaches qa and waits".
          Awaitility.await()
              .atMost(60, TimeUnit.SECONDS)
              .until(
                  () ->
                      !server
                          .get("/api/v1/approvals?status=pending", ADMIN_TOKEN)
                          .json()
                          .getJsonArray("items")
                          .isEmpty());
        }
        String output = run(command, server.port(), qaToken);
        if (command.contains("/api/v1/tokens") && command.contains("qa-anna")) {
          qaToken =
              new JsonObject(output.substring(0, output.lastIndexOf("readme-status=")))
                  .getString("token");
        }
      }
    }
  }

  /** Runs one README command in bash with /usr/bin/curl; returns its output once it was 2xx. */
  private String run(String command, int port, String qaToken) throws Exception {
    String local =
        command
            .replaceFirst("^curl ", "/usr/bin/curl -w '\\\\nreadme-status=%{http_code}\\\\n' ")
            .replace("localhost:8080", "127.0.0.1:" + port);
    ProcessBuilder builder =
        new ProcessBuilder("/bin/bash", "-c", local)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("curl.out").toFile());
    builder.environment().put("TOKEN", ADMIN_TOKEN);
    builder.environment().put("QA_TOKEN", qaToken);
    Process process = builder.start();
    boolean ended = process.waitFor(60, TimeUnit.SECONDS);
    if (!ended) {
      process.destroyForcibly();
    }
    String output = Files.readString(dir.resolve("curl.out"), StandardCharsets.UTF_8);
    assertThat(ended).as("still running after 60 s: " + command).isTrue();
    assertThat(process.exitValue()).as(command + "\n" + output).isZero();
    Matcher status = STATUS.matcher(output);
    assertThat(status.find()).as(command + "\n" + output).isTrue();
    assertThat(Integer.parseInt(status.group(1))).as(command + "\n" + output).isBetween(200, 299);
    return output;
  }

  private static String gameUpdate() {
    return """
        {"name": "game-update", "description": "patch and restart the game servers",
         "params": [{"name": "version", "required": true},
                    {"name": "db_password", "secret": true},
                    {"name": "region", "default": "eu", "enum": ["eu", "us"]}],
         "onFailure": "rollback",
         "steps": [
          {"name": "stop",        "kind": "command", "command": "echo stopping game", "undo": "echo starting game"},
          {"name": "backup",      "kind": "script",  "interpreter": "bash", "script": "echo dumping game for $version", "needs": ["stop"]},
          {"name": "upgrade-app", "kind": "command", "command": "echo deploying \\"$version\\"", "needs": ["stop"], "timeoutSeconds": 600, "retries": 2},
          {"name": "upgrade-db",  "kind": "command", "command": "echo migrating", "needs": ["backup"], "undo": "echo migrating back"},
          {"name": "qa",          "kind": "approval", "approvers": ["role:qa"], "message": "QA passed?", "timeoutSeconds": 3600, "onTimeout": "deny", "needs": ["upgrade-db", "upgrade-app"]},
          {"name": "start",       "kind": "command", "command": "echo starting game"},
          {"name": "health",      "kind": "command", "command": "echo healthy"},
          {"name": "announce",    "kind": "command", "command": "echo game $version is live"}]}
        """;
  }
}
