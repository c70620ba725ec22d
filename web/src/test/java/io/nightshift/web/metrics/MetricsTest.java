package io.nightshift.web.metrics;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GET /metrics as Prometheus and the docs' dashboard and alert rules see it. */
class MetricsTest {
  TestServer server;

  @BeforeEach
  void start() {
    server = TestServer.start(TestServer.Store.H2);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void runs_steps_jobs_approvals_webhooks_and_the_log_backlog_are_measured_with_help_texts() {
    runJobToSuccess();
    long waiting = startRunThatWaitsForApproval();

    String metrics =
        Awaitility.await()
            .atMost(30, TimeUnit.SECONDS)
            .until(
                this::scrape,
                text ->
                    text.contains("nightshift_approvals_pending 1.0")
                        && text.contains(
                            "nightshift_job_last_success_timestamp_seconds{job=\"nightly-backup\"}"));

    for (String name :
        new String[] {
          "nightshift_runs_total",
          "nightshift_run_duration_seconds",
          "nightshift_step_duration_seconds",
          "nightshift_job_last_success_timestamp_seconds",
          "nightshift_approvals_pending",
          "nightshift_approval_oldest_pending_timestamp_seconds",
          "nightshift_webhook_failures_total",
          "nightshift_log_backlog_lines",
          "nightshift_misfires_total",
          "jvm_memory_used_bytes",
          "process_cpu_usage",
          "process_files_open_files"
        }) {
      assertThat(metrics).as(name).containsPattern("(?m)^# HELP " + name + " \\S");
    }
    assertThat(metrics)
        .contains("nightshift_runs_total{status=\"SUCCEEDED\",template=\"backup-tpl\"} 1.0")
        .contains("nightshift_run_duration_seconds_count{template=\"backup-tpl\"} 1")
        .contains("nightshift_step_duration_seconds_count{step=\"dump\",template=\"backup-tpl\"} 1")
        .contains("nightshift_misfires_total{job=\"nightly-backup\"} 0.0")
        .containsPattern("(?m)^nightshift_log_backlog_lines \\d")
        .containsPattern("(?m)^nightshift_webhook_failures_total \\d");
    assertThat(metrics)
        .containsPattern("(?m)^nightshift_approval_oldest_pending_timestamp_seconds \\d\\.\\d+E9$");
    assertThat(waiting).isPositive();
  }

  @Test
  void every_metric_the_dashboard_and_the_alert_rules_use_exists_on_the_metrics_page()
      throws Exception {
    // The rules watch production nodes: on MySQL (the clock offset exists only there).
    server.close();
    server = TestServer.start(TestServer.Store.MYSQL);
    runJobToSuccess();
    startRunThatWaitsForApproval();
    String metrics =
        Awaitility.await()
            .atMost(30, TimeUnit.SECONDS)
            .until(this::scrape, text -> text.contains("nightshift_approvals_pending 1.0"));

    Set<String> used = new TreeSet<>();
    for (String doc : new String[] {"grafana-dashboard.json", "prometheus-alerts.yml"}) {
      Matcher m =
          Pattern.compile("\\b((?:nightshift|jvm|process)_[a-z_]+)")
              .matcher(Files.readString(Path.of("..", "docs", doc)));
      while (m.find()) {
        used.add(m.group(1));
      }
    }
    assertThat(used).contains("nightshift_job_last_success_timestamp_seconds");
    for (String name : used) {
      assertThat(metrics).as(name + " is used in docs/").containsPattern("(?m)^" + name + "[{ ]");
    }
  }

  /** Requests without a token, with invented methods and paths, cannot grow the scrape. */
  @Test
  void invented_methods_and_paths_fold_into_fixed_labels() {
    for (int i = 0; i < 20; i++) {
      invent(i);
    }
    int before = scrape().length();
    for (int i = 20; i < 2_000; i++) {
      invent(i);
    }
    String after = scrape();

    assertThat(after).doesNotContain("INVENTED").doesNotContain("nope-");
    assertThat(after)
        .containsPattern("vertx_http_server_requests_total\\{[^}]*[{,]method=\"other\"")
        .containsPattern("vertx_http_server_requests_total\\{[^}]*[{,]method=\"GET\"");
    assertThat(after.length() - before)
        .as(
            "the scrape grew by %d bytes after 1,980 more invented requests",
            after.length() - before)
        .isLessThan(4_000);
  }

  private void invent(int i) {
    String method = "INVENTED" + i;
    String path =
        switch (i % 4) {
          case 0 -> "/nope-" + i;
          case 1 -> "/api/v1/nope-" + i;
          case 2 -> "/api/v1/runs/" + i + "/nope-" + i;
          default -> "/health";
        };
    Answer answer = server.send(i % 5 == 0 ? "GET" : method, path, null, null);
    assertThat(answer.status()).as(method + " " + path).isLessThan(500);
  }

  @Test
  void a_jobs_last_success_moves_to_its_latest_succeeded_run() {
    runJobToSuccess();
    long second = post("/api/v1/jobs/nightly-backup/runs", new JsonObject(), 202).getLong("id");
    awaitStatus(second, "SUCCEEDED");
    java.time.Instant finished =
        java.time.Instant.parse(
            server.get("/api/v1/runs/" + second, ADMIN_TOKEN).json().getString("finishedAt"));
    String expected =
        "nightshift_job_last_success_timestamp_seconds{job=\"nightly-backup\"} "
            + (finished.toEpochMilli() / 1000.0);

    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .untilAsserted(() -> assertThat(scrape()).contains(expected));
  }

  @Test
  void runs_that_end_together_are_each_counted_once_with_their_own_status() {
    post(
        "/api/v1/templates",
        new JsonObject()
            .put("name", "burst")
            .put("params", new JsonArray().add(new JsonObject().put("name", "CODE")))
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "s")
                            .put("kind", "command")
                            .put("command", "exit \"$CODE\""))),
        201);
    java.util.List<Long> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 8; i++) {
      JsonObject params = new JsonObject().put("CODE", i < 6 ? "0" : "3");
      ids.add(
          post("/api/v1/runs", new JsonObject().put("template", "burst").put("params", params), 202)
              .getLong("id"));
    }
    for (int i = 0; i < ids.size(); i++) {
      awaitStatus(ids.get(i), i < 6 ? "SUCCEEDED" : "FAILED");
    }

    String metrics =
        Awaitility.await()
            .atMost(30, TimeUnit.SECONDS)
            .until(
                this::scrape,
                text ->
                    text.contains("nightshift_run_duration_seconds_count{template=\"burst\"} 8"));
    assertThat(metrics)
        .contains("nightshift_runs_total{status=\"SUCCEEDED\",template=\"burst\"} 6.0")
        .contains("nightshift_runs_total{status=\"FAILED\",template=\"burst\"} 2.0")
        .contains("nightshift_step_duration_seconds_count{step=\"s\",template=\"burst\"} 8");
  }

  private String scrape() {
    Answer answer = server.get("/metrics", null);
    assertThat(answer.status()).isEqualTo(200);
    return answer.body();
  }

  private void runJobToSuccess() {
    post(
        "/api/v1/templates",
        new JsonObject()
            .put("name", "backup-tpl")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "dump")
                            .put("kind", "command")
                            .put("command", "echo dumped"))),
        201);
    post(
        "/api/v1/jobs",
        new JsonObject().put("name", "nightly-backup").put("template", "backup-tpl"),
        201);
    long runId = post("/api/v1/jobs/nightly-backup/runs", new JsonObject(), 202).getLong("id");
    awaitStatus(runId, "SUCCEEDED");
  }

  private long startRunThatWaitsForApproval() {
    post(
        "/api/v1/templates",
        new JsonObject()
            .put("name", "gated")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "qa")
                            .put("kind", "approval")
                            .put("approvers", new JsonArray().add("role:qa")))),
        201);
    long runId = post("/api/v1/runs", new JsonObject().put("template", "gated"), 202).getLong("id");
    awaitStatus(runId, "WAITING_APPROVAL");
    return runId;
  }

  private void awaitStatus(long runId, String status) {
    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(
            () -> server.get("/api/v1/runs/" + runId, ADMIN_TOKEN).json().getString("status"),
            status::equals);
  }

  private JsonObject post(String path, JsonObject body, int expected) {
    Answer answer = server.post(path, ADMIN_TOKEN, body.encode());
    assertThat(answer.status()).as(answer.toString()).isEqualTo(expected);
    return answer.json();
  }
}
