package io.nightshift.web.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.ServiceProcess;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a step can see of the service that runs it, tried the way a hostile template author would:
 * the service runs as an operator starts it (a separate JVM with secrets in its environment), and
 * steps print their environment, read {@code /proc/self/environ}, walk up from their work directory
 * looking for the admin token, and the data files' modes are checked.
 */
class StepSandboxTest {
  static final String ADMIN = "sandbox-admin-token-0123456789";
  static final String DB_PASSWORD = "sandbox-db-password-canary";
  static final String OTHER = "sandbox-cloud-key-canary";
  final HttpClient http = HttpClient.newHttpClient();
  final String node = "sandbox-" + UUID.randomUUID().toString().substring(0, 8);

  @TempDir Path dir;

  @Test
  void a_step_sees_none_of_the_services_secrets_in_its_environment_only_the_allow_list()
      throws Exception {
    int port = freePort();
    String yaml =
        base(port)
            + "db:\n  url: \"jdbc:h2:file:./data/ns;MODE=MySQL;DATABASE_TO_LOWER=TRUE;CASE_INSENSITIVE_IDENTIFIERS=TRUE\"\n"
            + "  user: sa\n"
            + "executor:\n  passEnv: [SANDBOX_PASSED]\n";
    Map<String, String> env =
        Map.of(
            "NIGHTSHIFT_ADMIN_TOKEN", ADMIN,
            "NIGHTSHIFT_DB_PASSWORD", DB_PASSWORD,
            "CLOUD_SECRET_KEY", OTHER,
            "SANDBOX_PASSED", "passed-on-purpose");
    try (ServiceProcess service = new ServiceProcess(dir, yaml, env)) {
      service.start();
      String api = "http://127.0.0.1:" + port + "/api/v1";
      JsonObject run =
          runToEnd(
              api,
              ADMIN,
              step("env", "env"),
              step("environ", "tr '\\0' '\\n' < /proc/self/environ"),
              step("child", "sh -c 'env; cat /proc/$$/environ | tr \"\\0\" \"\\n\"'"),
              script("script", "printenv"));
      assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
      List<String> lines = lines(api, ADMIN, run.getLong("id"));
      String all = String.join("\n", lines);
      assertThat(all).doesNotContain(ADMIN, DB_PASSWORD, OTHER);
      assertThat(all).contains("SANDBOX_PASSED=passed-on-purpose", "NIGHTSHIFT_RUN_ID=");
      List<String> names =
          lines.stream().filter(l -> l.contains("=")).map(l -> l.split("=", 2)[0]).toList();
      assertThat(names)
          .allSatisfy(
              name ->
                  assertThat(
                          name.startsWith("NIGHTSHIFT_")
                              || List.of(
                                      "PATH",
                                      "HOME",
                                      "LANG",
                                      "TZ",
                                      "PWD",
                                      "SHLVL",
                                      "_",
                                      "SANDBOX_PASSED")
                                  .contains(name))
                      .as("variable %s reached a step", name)
                      .isTrue());
      assertThat(names)
          .doesNotContain(
              "NIGHTSHIFT_ADMIN_TOKEN", "NIGHTSHIFT_DB_PASSWORD", "NIGHTSHIFT_SECRETS_KEY");
      assertThat(all).doesNotContain(io.nightshift.web.TestServer.SECRETS_KEY);
    }
  }

  @Test
  void a_step_cannot_reach_the_admin_token_by_a_relative_path_and_data_files_are_owner_only()
      throws Exception {
    int port = freePort();
    String yaml =
        base(port)
            + "db:\n  url: \"jdbc:h2:file:./data/ns;MODE=MySQL;DATABASE_TO_LOWER=TRUE;CASE_INSENSITIVE_IDENTIFIERS=TRUE\"\n"
            + "  user: sa\n";
    try (ServiceProcess service = new ServiceProcess(dir, yaml, Map.of())) {
      service.start();
      Path tokenFile = dir.resolve("data/admin.token");
      String token = Files.readString(tokenFile).trim();
      String api = "http://127.0.0.1:" + port + "/api/v1";
      String walk =
          "pwd; d=.; for i in 1 2 3 4 5 6 7 8 9 10; do"
              + " for f in admin.token data/admin.token work/admin.token; do"
              + " [ -r \"$d/$f\" ] && { echo found $d/$f; cat \"$d/$f\"; }; done; d=$d/..; done; true";
      JsonObject run =
          runToEnd(api, token, step("walk", walk), step("ls", "ls -la .. ../.. ; true"));
      assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
      List<String> lines = lines(api, token, run.getLong("id"));
      assertThat(String.join("\n", lines)).doesNotContain(token).doesNotContain("found ");
      String workDir = lines.get(0);
      assertThat(
              Path.of(workDir)
                  .toAbsolutePath()
                  .normalize()
                  .startsWith(dir.resolve("data").toAbsolutePath().normalize()))
          .as("work directory %s is inside the data directory", workDir)
          .isFalse();

      assertThat(mode(dir.resolve("data"))).isEqualTo("rwx------");
      assertThat(mode(tokenFile)).isEqualTo("rw-------");
      try (Stream<Path> files = Files.list(dir.resolve("data"))) {
        assertThat(files.filter(Files::isRegularFile))
            .isNotEmpty()
            .allSatisfy(f -> assertThat(mode(f)).as(f.toString()).isEqualTo("rw-------"));
      }
      Path root =
          Path.of(
              System.getProperty("java.io.tmpdir"),
              "nightshift-" + Config.localName(node, dir.resolve("data")));
      assertThat(Path.of(workDir).toAbsolutePath().normalize()).startsWithRaw(root);
      assertThat(mode(root)).isEqualTo("rwx------");
      Awaitility.await()
          .atMost(10, TimeUnit.SECONDS)
          .untilAsserted(
              () ->
                  assertThat(Path.of(workDir))
                      .as("the run's work directory is deleted after the run")
                      .doesNotExist());
      assertThat(dir.resolve("data/vertx-cache")).as("Vert.x's file cache").isDirectory();

      service.close();
      assertThat(service.output()).contains("nightshift: stopped");
      assertThat(root).as("the work directory root after SIGTERM").doesNotExist();
      assertThat(dir.resolve("data/vertx-cache")).as("the file cache after SIGTERM").doesNotExist();
    }
  }

  String base(int port) {
    return "node: " + node + "\ndataDir: data\nhttp:\n  port: " + port + "\n";
  }

  static JsonObject step(String name, String command) {
    return new JsonObject().put("name", name).put("kind", "command").put("command", command);
  }

  static JsonObject script(String name, String body) {
    return new JsonObject()
        .put("name", name)
        .put("kind", "script")
        .put("interpreter", "sh")
        .put("script", body);
  }

  JsonObject runToEnd(String api, String token, JsonObject... steps) throws Exception {
    String name = "t" + UUID.randomUUID().toString().substring(0, 8);
    JsonObject template =
        new JsonObject().put("name", name).put("steps", new JsonArray(List.of(steps)));
    HttpResponse<String> created = send("POST", api + "/templates", token, template.encode());
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    HttpResponse<String> started =
        send("POST", api + "/runs", token, new JsonObject().put("template", name).encode());
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    long id = new JsonObject(started.body()).getLong("id");
    return Awaitility.await()
        .atMost(60, TimeUnit.SECONDS)
        .until(
            () -> new JsonObject(send("GET", api + "/runs/" + id, token, null).body()),
            r ->
                List.of("SUCCEEDED", "FAILED", "CANCELED", "TIMED_OUT")
                    .contains(r.getString("status")));
  }

  List<String> lines(String api, String token, long runId) throws Exception {
    JsonObject page =
        new JsonObject(
            send("GET", api + "/runs/" + runId + "/logs?limit=10000", token, null).body());
    return page.getJsonArray("items").stream()
        .map(o -> ((JsonObject) o).getString("line"))
        .toList();
  }

  HttpResponse<String> send(String method, String url, String token, String body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", "Bearer " + token)
            .timeout(Duration.ofSeconds(30));
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String mode(Path path) {
    try {
      return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
