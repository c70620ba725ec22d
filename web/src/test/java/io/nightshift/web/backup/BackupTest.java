package io.nightshift.web.backup;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.nightshift.web.TestSteps;
import io.nightshift.web.cli.Cli;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /backup}: a copy of the embedded store taken while the node runs, that a node started
 * on it after an unzip reads whole; refused on a MySQL/MariaDB store, naming what to use instead.
 */
class BackupTest {
  @Test
  void a_backup_of_the_embedded_store_is_restored_by_unzipping_it_where_the_database_file_was()
      throws Exception {
    Path dataDir = TempFolders.create("nightshift-backup-");
    Path restored = TempFolders.create("nightshift-restored-");
    try {
      long runId;
      Path file;
      try (TestServer server =
          TestServer.start(TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null))) {
        JsonObject template =
            new JsonObject()
                .put("name", "kept")
                .put("steps", new JsonArray().add(TestSteps.command("s", "echo restored-line")));
        assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, template.encode()).status())
            .isEqualTo(201);
        Answer started = server.post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"kept\"}");
        runId = started.json().getLong("id");
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> server.get("/api/v1/runs/" + runId, ADMIN_TOKEN).json().getString("status"),
                "SUCCEEDED"::equals);
        String operator = server.token("ops", "operator");
        assertThat(server.post("/api/v1/backup", operator, null).status()).isEqualTo(403);

        Answer backup = server.post("/api/v1/backup", ADMIN_TOKEN, null);

        assertThat(backup.status()).as(backup.toString()).isEqualTo(201);
        file = Path.of(backup.json().getString("file"));
        assertThat(file.getParent()).isEqualTo(dataDir.resolve("backups").toAbsolutePath());
        assertThat(file.getFileName().toString()).matches("nightshift-\\d{8}-\\d{6}Z\\.zip");
        assertThat(backup.json().getLong("bytes")).isEqualTo(Files.size(file)).isPositive();
        assertThat(Files.getPosixFilePermissions(file))
            .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        Answer second = server.post("/api/v1/backup", ADMIN_TOKEN, null);
        assertThat(second.json().getString("file")).isNotEqualTo(file.toString());
        assertThat(server.get("/api/v1/audit?action=store.backup", ADMIN_TOKEN).body())
            .contains(file.toString());
        StringWriter said = new StringWriter();
        int status =
            Cli.execute(
                new String[] {"backup"},
                Map.of(
                    "HOME",
                    dataDir.toString(),
                    "NIGHTSHIFT_URL",
                    "http://127.0.0.1:" + server.port(),
                    "NIGHTSHIFT_TOKEN",
                    ADMIN_TOKEN),
                new PrintWriter(said, true),
                new PrintWriter(new StringWriter(), true),
                false);
        assertThat(status).as(said.toString()).isZero();
        assertThat(said.toString())
            .startsWith("backup written on the node's host: " + dataDir.resolve("backups"))
            .contains("bytes); restore: stop the node, unzip it where the database file is");
      }
      unzip(file, restored);
      // The key that sealed the store's secrets is kept beside the backups, not in them.
      Files.copy(dataDir.resolve("secrets.key"), restored.resolve("secrets.key"));

      try (TestServer again = TestServer.start(TestServer.config(restored, h2(restored), null))) {
        assertThat(again.get("/api/v1/templates/kept", ADMIN_TOKEN).status()).isEqualTo(200);
        JsonObject run = again.get("/api/v1/runs/" + runId, ADMIN_TOKEN).json();
        assertThat(run.getString("status")).isEqualTo("SUCCEEDED");
        assertThat(again.get("/api/v1/runs/" + runId + "/logs", ADMIN_TOKEN).body())
            .contains("restored-line");
      }
    } finally {
      TempFolders.delete(dataDir);
      TempFolders.delete(restored);
    }
  }

  @Test
  void a_mysql_store_is_backed_up_with_its_own_tools() {
    try (TestServer server = TestServer.start(TestServer.Store.MYSQL)) {
      Answer refused = server.post("/api/v1/backup", ADMIN_TOKEN, null);

      assertThat(refused.status()).isEqualTo(409);
      assertThat(refused.errorCode()).isEqualTo("store_external");
      assertThat(refused.errorMessage()).contains("mysqldump --single-transaction");
    }
  }

  /** The embedded store in {@code dir} as it is (no fresh schema seeded into it). */
  private static DatabaseSettings h2(Path dir) {
    return new DatabaseSettings(
        "jdbc:h2:file:"
            + dir.toAbsolutePath().resolve("nightshift")
            + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;CASE_INSENSITIVE_IDENTIFIERS=TRUE",
        "sa",
        "",
        10);
  }

  private static void unzip(Path zip, Path into) throws IOException {
    try (InputStream in = Files.newInputStream(zip);
        ZipInputStream entries = new ZipInputStream(in)) {
      for (ZipEntry e = entries.getNextEntry(); e != null; e = entries.getNextEntry()) {
        Path target = into.resolve(e.getName()).normalize();
        assertThat(target.startsWith(into)).as(e.getName()).isTrue();
        Files.copy(entries, target);
      }
    }
  }
}
