package io.nightshift.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a node leaves on disk outside its data directory once it stopped cleanly: its default work
 * directory root goes when its runs left nothing in it, never when they did, never when the
 * operator chose it; Vert.x's file cache lives in the data directory, and one a killed node left is
 * gone at the next start.
 */
class NodeFoldersTest {
  @TempDir Path dataDir;

  Config config() {
    return TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null);
  }

  @Test
  void a_clean_stop_removes_the_default_work_root_its_ended_runs_left_empty() {
    Config config = config();
    Path root = config.executor().workDirOf(config.localName());
    try (TestServer server = TestServer.start(config)) {
      assertThat(root).isDirectory();
      long run = runToEnd(server, "echo hello > out.txt");
      Path runDir = root.resolve("runs").resolve(Long.toString(run));
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(runDir).doesNotExist());
    }

    assertThat(root).as("work directory root after a clean stop").doesNotExist();
  }

  @Test
  void a_work_root_holding_a_kept_run_directory_stays_as_it_is() {
    Config config = config().withExecutor(new Config.Executor(List.of(), null, true));
    Path root = config.executor().workDirOf(config.localName());
    try {
      long run;
      try (TestServer server = TestServer.start(config)) {
        run = runToEnd(server, "echo kept > out.txt");
      }

      assertThat(root.resolve("runs").resolve(Long.toString(run)).resolve("out.txt"))
          .hasContent("kept");
    } finally {
      TempFolders.delete(root);
    }
  }

  @Test
  void a_work_directory_the_operator_chose_stays_even_empty(@TempDir Path elsewhere) {
    Path work = elsewhere.resolve("work");
    Config config = config().withExecutor(new Config.Executor(List.of(), work, false));
    try (TestServer server = TestServer.start(config)) {
      long run = runToEnd(server, "true");
      Path runDir = work.resolve("runs").resolve(Long.toString(run));
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(runDir).doesNotExist());
    }

    assertThat(work).isDirectory();
  }

  @Test
  void the_file_cache_is_in_the_data_directory_and_a_killed_nodes_leftover_goes_at_start()
      throws Exception {
    Path cache = dataDir.resolve("vertx-cache");
    Path leftover = Files.createDirectories(cache).resolve("left-by-a-killed-node");
    Files.writeString(leftover, "stale");
    try (TestServer server = TestServer.start(config())) {
      assertThat(leftover).doesNotExist();
      assertThat(cache).isDirectory();
      TestServer.Answer console = server.get("/", null);
      assertThat(console.status()).as(console.toString()).isEqualTo(200);
      assertThat(cache.resolve("console/index.html"))
          .as("the page, extracted from the jar")
          .exists();
    }

    assertThat(cache).as("file cache after a clean stop").doesNotExist();
    try (var siblings = Files.list(dataDir)) {
      assertThat(siblings.map(p -> p.getFileName().toString()))
          .noneMatch(name -> name.startsWith("vertx-cache"));
    }
  }

  static long runToEnd(TestServer server, String command) {
    String name = "t-" + UUID.randomUUID().toString().substring(0, 8);
    JsonObject step =
        new JsonObject().put("name", "s").put("kind", "command").put("command", command);
    TestServer.Answer created =
        server.post(
            "/api/v1/templates",
            TestServer.ADMIN_TOKEN,
            new JsonObject().put("name", name).put("steps", new JsonArray().add(step)).encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    TestServer.Answer started =
        server.post(
            "/api/v1/runs",
            TestServer.ADMIN_TOKEN,
            new JsonObject().put("template", name).encode());
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    long id = started.json().getLong("id");
    String status =
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () ->
                    server
                        .get("/api/v1/runs/" + id, TestServer.ADMIN_TOKEN)
                        .json()
                        .getString("status"),
                s -> RunStatus.valueOf(s).terminal());
    assertThat(status).isEqualTo("SUCCEEDED");
    return id;
  }
}
