package io.nightshift.web.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** {@link CrashAndRecovery} on the embedded store. */
class CrashRecoveryTest extends CrashAndRecovery {
  /**
   * Also: another installation on this host whose node has the same name (its own data directory
   * and database) runs a step with the same step id as the leftover; the restart kills only its own
   * (CI once saw a restarted test node kill the step of a same-named node of a parallel test).
   */
  @Test
  void on_the_embedded_store_a_killed_service_leaves_nothing_running_after_restart()
      throws Exception {
    String db =
        "jdbc:h2:file:"
            + dir.resolve("db/ns")
            + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;CASE_INSENSITIVE_IDENTIFIERS=TRUE";
    Path twinPid = dir.resolve("twin.pid");
    Path twinData = Files.createDirectories(dir.resolve("twin"));
    try (TestServer twin =
        TestServer.start(
            TestServer.config(twinData, TestDatabases.h2Settings(twinData), null).withNode(NODE))) {
      JsonObject step =
          new JsonObject()
              .put("name", "work")
              .put("kind", "command")
              .put("command", "echo $$ > " + twinPid + "; exec sleep 1000")
              // Longer than the crash and restart take on a loaded machine (over 60 s in CI).
              .put("timeoutSeconds", 3600);
      twin.post(
          "/api/v1/templates",
          TestServer.ADMIN_TOKEN,
          new JsonObject().put("name", "twin").put("steps", new JsonArray().add(step)).encode());
      long twinRun =
          twin.post(
                  "/api/v1/runs",
                  TestServer.ADMIN_TOKEN,
                  new JsonObject().put("template", "twin").encode())
              .json()
              .getLong("id");
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> Files.exists(twinPid) && Files.size(twinPid) > 0);
      long twinStep =
          twin.get("/api/v1/runs/" + twinRun, TestServer.ADMIN_TOKEN)
              .json()
              .getJsonArray("steps")
              .getJsonObject(0)
              .getLong("id");

      long leftoverStep = crashAndRecover(db, "sa", "", null);

      assertThat(twinStep).as("the twin's step has the leftover's id").isEqualTo(leftoverStep);
      assertThat(alive(Long.parseLong(Files.readString(twinPid).trim())))
          .as("the step of the other installation's node of the same name still runs")
          .isTrue();
      assertThat(
              twin.get("/api/v1/runs/" + twinRun, TestServer.ADMIN_TOKEN)
                  .json()
                  .getJsonArray("steps")
                  .getJsonObject(0)
                  .getString("status"))
          .isEqualTo("RUNNING");
    } finally {
      // The twin's step would outlive this test JVM (its own session): end it here.
      if (Files.exists(twinPid) && !Files.readString(twinPid).isBlank()) {
        ProcessHandle.of(Long.parseLong(Files.readString(twinPid).trim()))
            .ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }
}
