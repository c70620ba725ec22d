package io.nightshift.web.secrets;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A stored secret whose key this node does not have (another node of the cluster sealed it with a
 * key missing here; start-up only checks what is stored then) makes every operation that needs it
 * answer 503 {@code secrets_unavailable} naming the key id, never a 500: reading the run, the
 * template and the job, and starting a run that would need the value.
 */
class MissingSecretKeyTest {
  private static final String UNKNOWN_KEY = "0badc0de";

  private Path dataDir;
  private Config config;
  private TestServer server;

  @BeforeEach
  void start() throws Exception {
    dataDir = TempFolders.create("nightshift-missing-key-");
    config = TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null);
    server = TestServer.start(config);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void a_key_file_deleted_while_the_node_runs_matters_only_at_its_next_start() throws Exception {
    JsonObject template = withSecretParam("kept", "s", "true");
    assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, template.encode()).status())
        .isEqualTo(201);
    Files.delete(dataDir.resolve("secrets.key"));

    // The key is in memory: the running node reads and runs what it sealed.
    assertThat(server.get("/api/v1/templates/kept", ADMIN_TOKEN).status()).isEqualTo(200);
    Answer run = server.post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"kept\"}");
    assertThat(run.status()).as(run.toString()).isEqualTo(202);
    long runId = run.json().getLong("id");
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> server.get("/api/v1/runs/" + runId, ADMIN_TOKEN).json().getString("status"),
            "SUCCEEDED"::equals);

    server.close();
    server = null;
    assertThatThrownBy(() -> TestServer.start(config))
        .hasMessageContaining("stored secrets were encrypted with key")
        .hasMessageContaining("secrets.oldKeys");
    assertThat(dataDir.resolve("secrets.key")).doesNotExist();
  }

  @Test
  void secrets_sealed_with_a_key_this_node_lacks_answer_503_naming_the_key() throws Exception {
    JsonObject template = withSecretParam("sealed", "print", "echo \"$password\"");
    assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, template.encode()).status())
        .isEqualTo(201);
    Answer job =
        server.post(
            "/api/v1/jobs",
            ADMIN_TOKEN,
            new JsonObject()
                .put("name", "sealed-job")
                .put("template", "sealed")
                .put("params", new JsonObject().put("password", "job-secret-value"))
                .encode());
    assertThat(job.status()).as(job.toString()).isEqualTo(201);
    Answer run =
        server.post(
            "/api/v1/runs",
            ADMIN_TOKEN,
            new JsonObject()
                .put("template", "sealed")
                .put("params", new JsonObject().put("password", "run-secret-value"))
                .encode());
    assertThat(run.status()).as(run.toString()).isEqualTo(202);
    long runId = run.json().getLong("id");
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> server.get("/api/v1/runs/" + runId, ADMIN_TOKEN).json().getString("status"),
            "SUCCEEDED"::equals);

    sealEverythingWithAnUnknownKey();

    for (Answer answer :
        List.of(
            server.get("/api/v1/runs/" + runId, ADMIN_TOKEN),
            server.get("/api/v1/templates/sealed", ADMIN_TOKEN),
            server.get("/api/v1/jobs/sealed-job", ADMIN_TOKEN),
            server.post("/api/v1/jobs/sealed-job/runs", ADMIN_TOKEN, "{}"),
            server.post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"sealed\"}"))) {
      assertThat(answer.status()).as(answer.toString()).isEqualTo(503);
      assertThat(answer.errorCode()).isEqualTo("secrets_unavailable");
      assertThat(answer.errorMessage()).contains(UNKNOWN_KEY).contains("secrets.oldKeys");
      assertThat(answer.body()).doesNotContain("secret-value");
    }
    // Nothing was started with a value that could not be read.
    try (Connection c = server.nightshift().database().dataSource().getConnection();
        Statement s = c.createStatement();
        java.sql.ResultSet count = s.executeQuery("SELECT COUNT(*) FROM run")) {
      count.next();
      assertThat(count.getLong(1)).isEqualTo(1);
    }
  }

  @Test
  void a_scheduled_fire_of_a_job_sealed_with_a_key_this_node_lacks_is_recorded_failed_naming_it()
      throws Exception {
    JsonObject template = withSecretParam("sealed-tick", "print", "true");
    assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, template.encode()).status())
        .isEqualTo(201);
    Answer job =
        server.post(
            "/api/v1/jobs",
            ADMIN_TOKEN,
            new JsonObject()
                .put("name", "sealed-tick-job")
                .put("template", "sealed-tick")
                .put("params", new JsonObject().put("password", "job-secret-value"))
                .put("schedule", new JsonObject().put("everySeconds", 1))
                .encode());
    assertThat(job.status()).as(job.toString()).isEqualTo(201);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !fires("started").isEmpty());

    sealEverythingWithAnUnknownKey();

    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> !fires("failed_to_start").isEmpty());
    JsonObject failed = fires("failed_to_start").get(0);
    assertThat(failed.getString("reason")).contains(UNKNOWN_KEY).doesNotContain("secret-value");
    // The API refuses to show the job (503 naming the key) rather than show it half.
    assertThat(server.get("/api/v1/jobs/sealed-tick-job/fires", ADMIN_TOKEN).status())
        .isEqualTo(503);
  }

  /**
   * The job's fires of {@code outcome} with their reasons, from the store: the API answers 503 for
   * a job it cannot read.
   */
  private List<JsonObject> fires(String outcome) throws Exception {
    List<JsonObject> out = new java.util.ArrayList<>();
    try (Connection c = server.nightshift().database().dataSource().getConnection();
        var query =
            c.prepareStatement(
                "SELECT f.outcome, f.reason FROM job_fire f JOIN job j ON j.id = f.job_id"
                    + " WHERE j.name = 'sealed-tick-job' AND f.outcome = ?")) {
      query.setString(1, outcome);
      try (java.sql.ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          out.add(
              new JsonObject().put("outcome", rows.getString(1)).put("reason", rows.getString(2)));
        }
      }
    }
    return out;
  }

  /** Rewrites every sealed value's key id, as if another key had sealed it. */
  private void sealEverythingWithAnUnknownKey() throws Exception {
    try (Connection c = server.nightshift().database().dataSource().getConnection();
        Statement s = c.createStatement()) {
      for (String update :
          List.of(
              "UPDATE run SET params = REGEXP_REPLACE(params, 'nsenc:v1:[0-9a-f]{8}:',"
                  + " 'nsenc:v1:"
                  + UNKNOWN_KEY
                  + ":')",
              "UPDATE template_version SET body = REGEXP_REPLACE(body, 'nsenc:v1:[0-9a-f]{8}:',"
                  + " 'nsenc:v1:"
                  + UNKNOWN_KEY
                  + ":')",
              "UPDATE job SET body = REGEXP_REPLACE(body, 'nsenc:v1:[0-9a-f]{8}:', 'nsenc:v1:"
                  + UNKNOWN_KEY
                  + ":')")) {
        assertThat(s.executeUpdate(update)).isPositive();
      }
    }
  }

  /**
   * A template with a secret parameter {@code password} (default "default-secret-value") and one
   * command step.
   */
  private static JsonObject withSecretParam(String name, String step, String command) {
    return new JsonObject()
        .put("name", name)
        .put(
            "params",
            new JsonArray()
                .add(
                    new JsonObject()
                        .put("name", "password")
                        .put("secret", true)
                        .put("default", "default-secret-value")))
        .put(
            "steps",
            new JsonArray()
                .add(
                    new JsonObject()
                        .put("name", step)
                        .put("kind", "command")
                        .put("command", command)));
  }
}
