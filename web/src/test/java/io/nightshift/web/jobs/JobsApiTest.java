package io.nightshift.web.jobs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.jobs.JobsKit.createJob;
import static io.nightshift.web.jobs.JobsKit.every;
import static io.nightshift.web.jobs.JobsKit.fires;
import static io.nightshift.web.jobs.JobsKit.getJob;
import static io.nightshift.web.jobs.JobsKit.job;
import static io.nightshift.web.jobs.JobsKit.runs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The jobs API over real HTTP on the embedded store: CRUD, bad input, pause/resume, run now. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobsApiTest {
  static final String PARAMS =
      "[{\"name\":\"version\",\"required\":true},"
          + "{\"name\":\"region\",\"default\":\"eu\",\"enum\":[\"eu\",\"us\"]},"
          + "{\"name\":\"password\",\"secret\":true}]";

  TestServer server;
  String viewer;
  String operator;

  @BeforeAll
  void start() {
    server = TestServer.start(TestServer.Store.H2);
    viewer = server.token("jobs-viewer", "viewer");
    operator = server.token("jobs-operator", "operator");
    JobsKit.template(server, "deploy", "echo $version $region", PARAMS);
    JobsKit.template(server, "plain", "true", "[]");
  }

  @AfterAll
  void stop() {
    server.close();
  }

  static JsonObject deployJob(String name) {
    return job(name, "deploy", null).put("params", new JsonObject().put("version", "1.0"));
  }

  @Test
  void a_job_is_created_read_listed_updated_and_deleted() {
    JsonObject created =
        createJob(
            server,
            deployJob("crud-job")
                .put("schedule", new JsonObject().put("cron", "0 30 3 * * ?"))
                .put("concurrency", "queue")
                .put("misfire", "skip"));
    assertThat(created.getString("name")).isEqualTo("crud-job");
    assertThat(created.getJsonObject("schedule").getString("timezone")).isEqualTo("UTC");
    assertThat(created.getString("concurrency")).isEqualTo("queue");
    assertThat(created.getString("misfire")).isEqualTo("skip");
    assertThat(created.getBoolean("enabled")).isTrue();
    assertThat(created.getJsonArray("nextFireTimes")).hasSize(5);
    assertThat(created.getJsonArray("nextFireTimes").getString(0))
        .matches("\\d{4}-\\d\\d-\\d\\dT03:30:00\\.000Z");

    Answer read = server.get("/api/v1/jobs/crud-job", viewer);
    assertThat(read.status()).isEqualTo(200);
    assertThat(read.json().getJsonObject("params").getString("version")).isEqualTo("1.0");

    Answer list = server.get("/api/v1/jobs?limit=500", viewer);
    assertThat(
            list.json().getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("name")))
        .contains("crud-job");

    Answer updated =
        server.put(
            "/api/v1/jobs/crud-job",
            operator,
            new JsonObject().put("params", new JsonObject().put("version", "2.0")).encode());
    assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
    assertThat(updated.json().getJsonObject("params").getString("version")).isEqualTo("2.0");
    assertThat(updated.json().getString("concurrency")).as("kept").isEqualTo("queue");
    assertThat(updated.json().getInteger("revision")).isGreaterThan(created.getInteger("revision"));

    assertThat(server.delete("/api/v1/jobs/crud-job", operator).status()).isEqualTo(204);
    assertThat(server.get("/api/v1/jobs/crud-job", viewer).status()).isEqualTo(404);
  }

  /**
   * A job of a template whose stored version this node cannot read is still listed and read (its
   * parameter values all masked: which are secret is unknown); a run-now of it is 409 naming the
   * version. Before, the whole jobs list answered 400.
   */
  @Test
  void a_dry_run_put_checks_a_job_and_a_template_as_the_put_would_and_stores_nothing() {
    JsonObject good =
        deployJob("dry-job").put("schedule", new JsonObject().put("everySeconds", 60));
    JsonObject dry = good.copy().put("dryRun", true);
    Answer fine = server.put("/api/v1/jobs/dry-job", operator, dry.encode());
    assertThat(fine.status()).as(fine.toString()).isEqualTo(200);
    assertThat(fine.json())
        .isEqualTo(
            new JsonObject().put("dryRun", true).put("name", "dry-job").put("action", "create"));
    assertThat(server.get("/api/v1/jobs/dry-job", viewer).status()).isEqualTo(404);

    Answer refused =
        server.put(
            "/api/v1/jobs/dry-job",
            operator,
            dry.copy()
                .put("params", new JsonObject().put("colour", "red"))
                .put("schedule", new JsonObject().put("cron", "0 */0 * * * ?"))
                .encode());
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.body())
        .contains("params.version")
        .contains("params.colour")
        .contains("schedule.cron");

    assertThat(
            server
                .put("/api/v1/jobs/dry-job", operator, good.copy().put("dryRun", "yes").encode())
                .errorMessage())
        .isEqualTo("dryRun: must be true or false, got yes");
    assertThat(server.get("/api/v1/jobs/dry-job", viewer).status()).isEqualTo(404);
    // Not on create: POST has no dry run (a node of an earlier version refuses it on PUT too).
    assertThat(server.post("/api/v1/jobs", operator, dry.encode()).errorMessage())
        .startsWith("dryRun: unknown field");
    assertThat(server.put("/api/v1/jobs/dry-job", viewer, dry.encode()).status()).isEqualTo(403);

    // A template change a job no longer matches: the warning the stored version would get.
    createJob(server, deployJob("dry-kept"));
    Answer template =
        server.put(
            "/api/v1/templates/deploy",
            operator,
            new JsonObject()
                .put("dryRun", true)
                .put(
                    "params",
                    new JsonArray()
                        .add(new JsonObject().put("name", "version"))
                        .add(new JsonObject().put("name", "target").put("required", true)))
                .put(
                    "steps",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("name", "a")
                                .put("kind", "command")
                                .put("command", "echo $version")))
                .encode());
    assertThat(template.status()).as(template.toString()).isEqualTo(200);
    assertThat(template.json().getString("action")).isEqualTo("update");
    assertThat(template.json().getJsonArray("warnings").encode())
        .contains("job 'dry-kept'")
        .contains("target");
    assertThat(server.get("/api/v1/templates/deploy", viewer).json().getJsonArray("params"))
        .hasSize(3);
    assertThat(server.delete("/api/v1/jobs/dry-kept", operator).status()).isEqualTo(204);
  }

  @Test
  void a_job_of_a_template_this_node_cannot_read_is_listed_with_every_value_masked() {
    JobsKit.template(server, "vault-broken", "true", "[{\"name\":\"password\",\"secret\":true}]");
    createJob(
        server,
        job("broken-job", "vault-broken", null)
            .put("params", new JsonObject().put("password", "hunter2")));
    io.nightshift.scheduler.template.EarlierBodies.store(
        server.nightshift().database().dsl(),
        "vault-broken",
        "{\"name\":\"vault-broken\",\"params\":[{\"name\":\"password\",\"secret\":true}],"
            + "\"steps\":null}");
    try {
      Answer list = server.get("/api/v1/jobs?limit=500", viewer);
      assertThat(list.status()).as(list.toString()).isEqualTo(200);
      assertThat(list.body()).doesNotContain("hunter2");
      Answer read = server.get("/api/v1/jobs/broken-job", viewer);
      assertThat(read.status()).as(read.toString()).isEqualTo(200);
      assertThat(read.json().getJsonObject("params").getString("password")).isEqualTo("******");
      Answer run = server.post("/api/v1/jobs/broken-job/runs", operator, "{}");
      assertThat(run.status()).as(run.toString()).isEqualTo(409);
      assertThat(run.errorCode()).isEqualTo("stored_invalid");
    } finally {
      assertThat(server.delete("/api/v1/jobs/broken-job", operator).status()).isEqualTo(204);
    }
  }

  /**
   * A template change that one of its jobs no longer matches is stored, but its answer names the
   * job and why (before: 200 and nothing said, while every fire of the job then failed to start).
   */
  @Test
  void a_template_change_a_job_no_longer_matches_is_answered_with_a_warning_naming_the_job() {
    JobsKit.template(server, "grows", "true", "[]");
    createJob(server, job("grows-job", "grows", null));
    Answer changed =
        server.put(
            "/api/v1/templates/grows",
            operator,
            "{\"name\":\"grows\",\"params\":[{\"name\":\"who\",\"required\":true},"
                + "{\"name\":\"where\",\"required\":true}],"
                + "\"steps\":[{\"name\":\"s\",\"kind\":\"command\",\"command\":\"echo $who\"}]}");
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
    assertThat(changed.json().getJsonArray("warnings").getList())
        .singleElement()
        .asString()
        .startsWith("job 'grows-job': params.who: is required")
        .contains("; params.where: is required")
        .doesNotContain("see details")
        .endsWith("its fires fail to start until the job is changed to match");
    Answer unchanged =
        server.put(
            "/api/v1/templates/plain",
            operator,
            "{\"name\":\"plain\",\"steps\":[{\"name\":\"s\",\"kind\":\"command\",\"command\":\"true\"}]}");
    assertThat(unchanged.json().containsKey("warnings")).isFalse();
    assertThat(server.delete("/api/v1/jobs/grows-job", operator).status()).isEqualTo(204);
  }

  @Test
  void defaults_are_forbid_fire_once_enabled_and_no_schedule_means_no_next_fire() {
    JsonObject created = createJob(server, deployJob("defaults-job"));
    assertThat(created.getString("concurrency")).isEqualTo("forbid");
    assertThat(created.getString("misfire")).isEqualTo("fire_once");
    assertThat(created.getBoolean("enabled")).isTrue();
    assertThat(created.getValue("schedule")).isNull();
    assertThat(created.getJsonArray("nextFireTimes")).isEmpty();
  }

  @Test
  void secret_params_of_a_job_are_masked_in_its_answer() {
    JsonObject created =
        createJob(
            server,
            job("secret-job", "deploy", null)
                .put("params", new JsonObject().put("version", "1").put("password", "hunter2")));
    assertThat(created.getJsonObject("params").getString("password")).isEqualTo("******");
    assertThat(getJob(server, "secret-job").encode()).doesNotContain("hunter2");
  }

  static Stream<Arguments> badJobs() {
    String future = Instant.now().plusSeconds(3600).toString();
    return Stream.of(
        Arguments.of("bad name", deployJob("Bad Name"), "name"),
        Arguments.of("no template", new JsonObject().put("name", "x-none"), "template"),
        Arguments.of("unknown template", job("x-unknown", "no-such-template", null), "template"),
        Arguments.of(
            "undeclared param",
            deployJob("x-undeclared")
                .put("params", new JsonObject().put("version", "1").put("colour", "red")),
            "params.colour"),
        Arguments.of("missing required param", job("x-required", "deploy", null), "params.version"),
        Arguments.of(
            "param outside its enum",
            deployJob("x-enum")
                .put("params", new JsonObject().put("version", "1").put("region", "mars")),
            "params.region"),
        Arguments.of(
            "bad cron",
            deployJob("x-cron").put("schedule", new JsonObject().put("cron", "0 61 * * * ?")),
            "schedule.cron"),
        Arguments.of(
            "cron with 4 fields",
            deployJob("x-cron4").put("schedule", new JsonObject().put("cron", "* * * *")),
            "schedule.cron"),
        Arguments.of(
            "unknown zone",
            deployJob("x-zone")
                .put(
                    "schedule",
                    new JsonObject().put("cron", "0 0 3 * * ?").put("timezone", "Mars/Olympus")),
            "schedule.timezone"),
        Arguments.of(
            "at in the past",
            deployJob("x-past").put("schedule", new JsonObject().put("at", "2020-01-01T00:00:00Z")),
            "schedule.at"),
        Arguments.of(
            "at without an offset",
            deployJob("x-at-local")
                .put("schedule", new JsonObject().put("at", future.replace("Z", ""))),
            "schedule.at"),
        Arguments.of(
            "everySeconds 0",
            deployJob("x-every0").put("schedule", every(0)),
            "schedule.everySeconds"),
        Arguments.of(
            "everySeconds as a string",
            deployJob("x-every-s").put("schedule", new JsonObject().put("everySeconds", "5")),
            "schedule.everySeconds"),
        Arguments.of(
            "two schedule kinds",
            deployJob("x-two")
                .put("schedule", new JsonObject().put("everySeconds", 5).put("at", future)),
            "schedule"),
        Arguments.of(
            "timezone beside everySeconds",
            deployJob("x-tz-every")
                .put("schedule", new JsonObject().put("everySeconds", 5).put("timezone", "UTC")),
            "schedule.timezone"),
        Arguments.of(
            "bad concurrency", deployJob("x-conc").put("concurrency", "sometimes"), "concurrency"),
        Arguments.of("bad misfire", deployJob("x-misfire").put("misfire", "burst"), "misfire"),
        Arguments.of("unknown field", deployJob("x-field").put("colour", "red"), "colour"),
        Arguments.of(
            "enabled not a boolean", deployJob("x-enabled").put("enabled", "yes"), "enabled"));
  }

  @ParameterizedTest(name = "{0} is 400 naming {2}")
  @MethodSource("badJobs")
  void a_bad_job_is_400_naming_the_field(String what, JsonObject body, String field) {
    Answer answer = server.post("/api/v1/jobs", operator, body.encode());
    assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
    assertThat(answer.errorCode()).isEqualTo("validation_failed");
    assertThat(answer.errorMessage()).contains(field);
    assertThat(
            answer.json().getJsonObject("error").getJsonArray("details").stream()
                .map(d -> ((JsonObject) d).getString("field")))
        .contains(field);
    String path =
        "/api/v1/jobs/"
            + java.net.URLEncoder.encode(
                    String.valueOf(body.getString("name")), java.nio.charset.StandardCharsets.UTF_8)
                .replace("+", "%20");
    assertThat(server.get(path, viewer).status()).as("nothing stored").isIn(404, 400);
  }

  @Test
  void a_bad_put_is_400_and_leaves_the_job_as_it_was() {
    createJob(server, deployJob("bad-put").put("schedule", every(3600)));
    Answer answer =
        server.put(
            "/api/v1/jobs/bad-put", operator, new JsonObject().put("schedule", every(-5)).encode());
    assertThat(answer.status()).as(answer.toString()).isEqualTo(400);
    assertThat(answer.errorMessage()).contains("schedule.everySeconds");
    assertThat(getJob(server, "bad-put").getJsonObject("schedule").getLong("everySeconds"))
        .isEqualTo(3600L);
  }

  @Test
  void a_duplicate_name_is_409_and_a_missing_job_is_404_everywhere() {
    createJob(server, deployJob("dup-job"));
    Answer again = server.post("/api/v1/jobs", operator, deployJob("dup-job").encode());
    assertThat(again.status()).as(again.toString()).isEqualTo(409);
    assertThat(again.errorMessage()).contains("dup-job");

    assertThat(server.get("/api/v1/jobs/no-such-job", viewer).status()).isEqualTo(404);
    assertThat(server.delete("/api/v1/jobs/no-such-job", operator).status()).isEqualTo(404);
    assertThat(server.post("/api/v1/jobs/no-such-job/pause", operator, null).status())
        .isEqualTo(404);
    assertThat(server.post("/api/v1/jobs/no-such-job/resume", operator, null).status())
        .isEqualTo(404);
    assertThat(server.post("/api/v1/jobs/no-such-job/runs", operator, "{}").status())
        .isEqualTo(404);
    assertThat(server.get("/api/v1/jobs/no-such-job/fires", viewer).status()).isEqualTo(404);
  }

  @Test
  void a_viewer_reads_jobs_but_cannot_change_them() {
    createJob(server, deployJob("viewer-job"));
    assertThat(server.get("/api/v1/jobs/viewer-job", viewer).status()).isEqualTo(200);
    assertThat(server.get("/api/v1/jobs/viewer-job/fires", viewer).status()).isEqualTo(200);
    assertThat(server.post("/api/v1/jobs", viewer, deployJob("by-viewer").encode()).status())
        .isEqualTo(403);
    assertThat(server.put("/api/v1/jobs/viewer-job", viewer, "{}").status()).isEqualTo(403);
    assertThat(server.delete("/api/v1/jobs/viewer-job", viewer).status()).isEqualTo(403);
    assertThat(server.post("/api/v1/jobs/viewer-job/pause", viewer, null).status()).isEqualTo(403);
    assertThat(server.post("/api/v1/jobs/viewer-job/resume", viewer, null).status()).isEqualTo(403);
    assertThat(server.post("/api/v1/jobs/viewer-job/runs", viewer, "{}").status()).isEqualTo(403);
    assertThat(server.get("/api/v1/jobs/viewer-job", null).status()).isEqualTo(401);
    assertThat(getJob(server, "viewer-job").getBoolean("enabled")).isTrue();
  }

  @Test
  void pause_and_resume_are_idempotent_and_a_put_without_enabled_keeps_a_paused_job_paused() {
    createJob(server, deployJob("pausing").put("schedule", every(3600)));

    for (int i = 0; i < 2; i++) {
      Answer paused = server.post("/api/v1/jobs/pausing/pause", operator, null);
      assertThat(paused.status()).as(paused.toString()).isEqualTo(200);
      assertThat(paused.json().getBoolean("enabled")).isFalse();
      assertThat(paused.json().getJsonArray("nextFireTimes")).isEmpty();
    }

    Answer edited =
        server.put(
            "/api/v1/jobs/pausing",
            operator,
            deployJob("pausing").put("schedule", every(1800)).encode());
    assertThat(edited.status()).as(edited.toString()).isEqualTo(200);
    assertThat(edited.json().getBoolean("enabled")).isFalse();
    assertThat(getJob(server, "pausing").getBoolean("enabled")).isFalse();
    assertThat(getJob(server, "pausing").getJsonObject("schedule").getLong("everySeconds"))
        .isEqualTo(1800L);

    for (int i = 0; i < 2; i++) {
      Answer resumed = server.post("/api/v1/jobs/pausing/resume", operator, null);
      assertThat(resumed.status()).as(resumed.toString()).isEqualTo(200);
      assertThat(resumed.json().getBoolean("enabled")).isTrue();
      assertThat(resumed.json().getJsonArray("nextFireTimes")).hasSize(5);
    }

    Answer disabled =
        server.put(
            "/api/v1/jobs/pausing", operator, new JsonObject().put("enabled", false).encode());
    assertThat(disabled.json().getBoolean("enabled")).isFalse();
  }

  @Test
  void enabled_null_is_as_if_it_were_left_out_and_pauses_nothing() {
    Answer created =
        server.post(
            "/api/v1/jobs",
            operator,
            deployJob("null-enabled").put("schedule", every(3600)).putNull("enabled").encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().getBoolean("enabled")).isTrue();

    Answer edited =
        server.put(
            "/api/v1/jobs/null-enabled",
            operator,
            deployJob("null-enabled").put("schedule", every(1800)).putNull("enabled").encode());
    assertThat(edited.status()).as(edited.toString()).isEqualTo(200);
    assertThat(edited.json().getBoolean("enabled")).isTrue();
    assertThat(getJob(server, "null-enabled").getBoolean("enabled")).isTrue();
  }

  /**
   * A delete cancels the job's QUEUED runs (they waited for a turn of a job that is gone: before,
   * they started one after another once the running one ended); its running run goes on.
   */
  @Test
  void deleting_a_job_cancels_its_queued_runs_and_leaves_its_running_one() {
    JobsKit.template(server, "long-queue", "sleep 30", "[]");
    createJob(server, job("queue-then-delete", "long-queue", null).put("concurrency", "queue"));
    java.util.List<Long> ids = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Answer started = server.post("/api/v1/jobs/queue-then-delete/runs", operator, "{}");
      assertThat(started.status()).as(started.toString()).isEqualTo(202);
      ids.add(started.json().getLong("id"));
    }
    assertThat(status(ids.get(1))).isEqualTo("QUEUED");
    assertThat(status(ids.get(2))).isEqualTo("QUEUED");

    assertThat(server.delete("/api/v1/jobs/queue-then-delete", operator).status()).isEqualTo(204);

    assertThat(status(ids.get(1))).isEqualTo("CANCELED");
    assertThat(status(ids.get(2))).isEqualTo("CANCELED");
    assertThat(status(ids.get(0))).isIn("RUNNING", "SUCCEEDED");
    assertThat(server.post("/api/v1/runs/" + ids.get(0) + "/cancel", operator, null).status())
        .isEqualTo(200);
    await().atMost(Duration.ofSeconds(10)).until(() -> status(ids.get(0)).equals("CANCELED"));
    assertThat(status(ids.get(1))).isEqualTo("CANCELED");
    assertThat(status(ids.get(2))).isEqualTo("CANCELED");
  }

  private String status(long runId) {
    return server.get("/api/v1/runs/" + runId, viewer).json().getString("status");
  }

  @Test
  void deleting_a_job_removes_its_trigger_so_it_fires_no_more() throws Exception {
    createJob(server, job("short-lived", "plain", every(1)).put("concurrency", "allow"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> fires(server, "short-lived", "started").size() >= 2);
    long jobId = JobsKit.jobId(server, "short-lived");
    assertThat(JobsKit.quartzHas(server, "short-lived")).isTrue();

    assertThat(server.delete("/api/v1/jobs/short-lived", operator).status()).isEqualTo(204);
    assertThat(JobsKit.quartzHas(server, "short-lived")).as("trigger removed").isFalse();
    assertThat(server.get("/api/v1/jobs/short-lived/fires", viewer).status()).isEqualTo(404);
    int firesAfterDelete = JobsKit.fireRows(server, jobId);
    int runsAfterDelete = runs(server, "short-lived").size();
    assertThat(runsAfterDelete).isEqualTo(firesAfterDelete);

    Instant threePeriodsLater = Instant.now().plusSeconds(3);
    await()
        .pollDelay(Duration.ofMillis(200))
        .atMost(Duration.ofSeconds(6))
        .until(
            () -> {
              assertThat(JobsKit.fireRows(server, jobId)).isEqualTo(firesAfterDelete);
              assertThat(runs(server, "short-lived")).hasSize(runsAfterDelete);
              return Instant.now().isAfter(threePeriodsLater);
            });
  }

  @Test
  void a_template_used_by_a_job_cannot_be_deleted() {
    JobsKit.template(server, "in-use", "true", "[]");
    createJob(server, job("uses-template", "in-use", null));
    Answer refused = server.delete("/api/v1/templates/in-use", ADMIN_TOKEN);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
    assertThat(refused.errorMessage()).contains("uses-template");
    assertThat(server.delete("/api/v1/jobs/uses-template", ADMIN_TOKEN).status()).isEqualTo(204);
    assertThat(server.delete("/api/v1/templates/in-use", ADMIN_TOKEN).status()).isEqualTo(204);
  }

  @Test
  void run_now_answers_202_with_a_manual_run_whose_params_merge_job_and_override_values() {
    createJob(
        server,
        job("run-now", "deploy", every(3600))
            .put("params", new JsonObject().put("version", "1.0").put("region", "us")));
    Answer started =
        server.post(
            "/api/v1/jobs/run-now/runs",
            operator,
            new JsonObject().put("params", new JsonObject().put("version", "2.5")).encode());
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    JsonObject run = started.json();
    assertThat(run.getString("trigger")).isEqualTo("manual");
    assertThat(run.getString("job")).isEqualTo("run-now");
    assertThat(run.getString("template")).isEqualTo("deploy");
    assertThat(run.getJsonObject("params").getString("version"))
        .as("run value wins")
        .isEqualTo("2.5");
    assertThat(run.getJsonObject("params").getString("region")).as("job value").isEqualTo("us");
    assertThat(started.response().headers().firstValue("Location"))
        .hasValue("/api/v1/runs/" + run.getLong("id"));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                server
                    .get("/api/v1/runs/" + run.getLong("id"), viewer)
                    .json()
                    .getString("status")
                    .equals("SUCCEEDED"));
    assertThat(runs(server, "run-now"))
        .extracting(r -> r.getLong("id"))
        .contains(run.getLong("id"));

    Answer noBody = server.post("/api/v1/jobs/run-now/runs", operator, null);
    assertThat(noBody.status()).as(noBody.toString()).isEqualTo(202);
    assertThat(noBody.json().getJsonObject("params").getString("version")).isEqualTo("1.0");
  }

  @Test
  void run_now_refuses_an_undeclared_or_invalid_override_with_400() {
    createJob(server, deployJob("run-now-bad"));
    Answer undeclared =
        server.post(
            "/api/v1/jobs/run-now-bad/runs",
            operator,
            new JsonObject().put("params", new JsonObject().put("colour", "red")).encode());
    assertThat(undeclared.status()).as(undeclared.toString()).isEqualTo(400);
    assertThat(undeclared.errorMessage()).contains("params.colour");

    Answer badEnum =
        server.post(
            "/api/v1/jobs/run-now-bad/runs",
            operator,
            new JsonObject().put("params", new JsonObject().put("region", "mars")).encode());
    assertThat(badEnum.status()).as(badEnum.toString()).isEqualTo(400);
    assertThat(badEnum.errorMessage()).contains("params.region");

    Answer unknown = server.post("/api/v1/jobs/run-now-bad/runs", operator, "{\"dryRun\":true}");
    assertThat(unknown.status()).as(unknown.toString()).isEqualTo(400);
    assertThat(unknown.errorMessage()).contains("dryRun");
    assertThat(runs(server, "run-now-bad")).isEmpty();
  }
}
