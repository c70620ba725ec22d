package io.nightshift.web.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.ServiceProcess;
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
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service is killed (SIGKILL) while a step runs. At the next start the step's processes, left
 * running unowned, are found by process group and start time and killed; the step is FAILED
 * "executor lost"; the run moves on by its rules (here: a retry runs and succeeds); nothing stays
 * RUNNING. On the embedded store ({@link CrashRecoveryTest}) and on MySQL + Redis ({@link
 * CrashRecoveryOnMysqlTest}): classes of their own, so that parallel test JVMs run them at once.
 */
abstract class CrashAndRecovery {
  static final String TOKEN = "crash-test-token-0123456789";
  static final String NODE = "crash-node";
  final HttpClient http = HttpClient.newHttpClient();

  @TempDir Path dir;

  /** The crash and the restart; returns the id of the step whose attempt was lost. */
  long crashAndRecover(String dbUrl, String user, String password, String redisUrl)
      throws Exception {
    int port = freePort();
    String yaml =
        "node: "
            + NODE
            + "\ndataDir: data\nhttp:\n  port: "
            + port
            + "\ndb:\n  url: \""
            + dbUrl
            + "\"\n  user: \""
            + user
            + "\"\n  password: \""
            + password
            + "\"\n"
            + (redisUrl == null ? "" : "redis:\n  url: \"" + redisUrl + "\"\n");
    Path pidFile = dir.resolve("step.pid");
    Path childFile = dir.resolve("child.pid");
    Path marker = dir.resolve("second-attempt");
    try (ServiceProcess service =
        new ServiceProcess(dir, yaml, Map.of("NIGHTSHIFT_ADMIN_TOKEN", TOKEN))) {
      service.start();
      String base = "http://127.0.0.1:" + port + "/api/v1";
      String script =
          "if [ \"$NIGHTSHIFT_ATTEMPT\" = 1 ]; then echo $$ > "
              + pidFile
              + "; sleep 1000 & echo $! > "
              + childFile
              + "; echo waiting; wait; else echo second > "
              + marker
              + "; fi";
      JsonObject template =
          new JsonObject()
              .put("name", "long")
              .put(
                  "steps",
                  new JsonArray()
                      .add(
                          new JsonObject()
                              .put("name", "work")
                              .put("kind", "command")
                              .put("command", script)
                              .put("retries", 1))
                      .add(
                          new JsonObject()
                              .put("name", "after")
                              .put("kind", "command")
                              .put("command", "echo after")));
      assertThat(post(base + "/templates", template).statusCode()).isEqualTo(201);
      HttpResponse<String> started = post(base + "/runs", new JsonObject().put("template", "long"));
      assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
      long runId = new JsonObject(started.body()).getLong("id");
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> Files.exists(childFile) && Files.size(childFile) > 0);
      // Kill only once the step's line is stored: what is stored must survive the crash.
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> get(base + "/runs/" + runId + "/logs").body().contains("\"waiting\""));
      long stepPid = Long.parseLong(Files.readString(pidFile).trim());
      long childPid = Long.parseLong(Files.readString(childFile).trim());

      service.kill();
      assertThat(alive(stepPid)).as("the step outlives the killed service").isTrue();
      assertThat(alive(childPid)).isTrue();

      service.start();
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .untilAsserted(
              () -> {
                assertThat(alive(stepPid)).as("leftover step process killed").isFalse();
                assertThat(alive(childPid)).as("leftover background child killed").isFalse();
              });
      JsonObject run =
          Awaitility.await()
              .atMost(60, TimeUnit.SECONDS)
              .until(
                  () -> new JsonObject(get(base + "/runs/" + runId).body()),
                  r -> !"RUNNING".equals(r.getString("status")));
      assertThat(run.getString("status")).as(run.encodePrettily()).isEqualTo("SUCCEEDED");
      JsonObject work = run.getJsonArray("steps").getJsonObject(0);
      assertThat(work.getInteger("attempt")).isEqualTo(2);
      JsonObject lost = work.getJsonArray("attempts").getJsonObject(0);
      assertThat(lost.getString("status")).isEqualTo("FAILED");
      assertThat(lost.getString("error")).contains("executor lost");
      assertThat(Files.readString(marker)).contains("second");
      assertThat(run.getJsonArray("steps").getJsonObject(1).getString("status"))
          .isEqualTo("SUCCEEDED");
      JsonObject running = new JsonObject(get(base + "/runs?status=RUNNING").body());
      assertThat(running.getJsonArray("items")).isEmpty();
      JsonObject logs = new JsonObject(get(base + "/runs/" + runId + "/logs").body());
      assertThat(logs.getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("line")))
          .contains("waiting", "after");
      return lost.getLong("id");
    }
  }

  static boolean alive(long pid) throws IOException {
    Path stat = Path.of("/proc", String.valueOf(pid), "stat");
    if (!Files.exists(stat)) {
      return false;
    }
    try {
      String text = Files.readString(stat);
      String state = text.substring(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3);
      return !state.equals("Z") && !state.equals("X");
    } catch (IOException e) {
      return false;
    }
  }

  HttpResponse<String> post(String url, JsonObject body) throws Exception {
    return checked(
        http.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
                .build(),
            HttpResponse.BodyHandlers.ofString()));
  }

  HttpResponse<String> get(String url) throws Exception {
    return checked(
        http.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + TOKEN)
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString()));
  }

  /** The answer, once the OpenAPI document agrees with it. */
  private static HttpResponse<String> checked(HttpResponse<String> response) {
    io.nightshift.web.ApiContract.get().check(response);
    return response;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
