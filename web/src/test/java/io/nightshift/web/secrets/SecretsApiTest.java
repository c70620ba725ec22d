package io.nightshift.web.secrets;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.notify.Notifier;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Secrets over the API: audit records mask them, the mask written back means "unchanged" (the run
 * then gets the real secret), defaults of secret parameters are masked, and error texts that leave
 * the engine (step error, run error, webhook payload) mask every form of a secret.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SecretsApiTest {
  private static final AtomicInteger names = new AtomicInteger();
  TestServer server;
  Receiver receiver;
  String operator;
  String viewer;

  abstract TestServer.Store store();

  @BeforeAll
  void start() {
    server = TestServer.start(store());
    receiver = new Receiver();
    operator = server.token("secrets-operator", "operator");
    viewer = server.token("secrets-viewer", "viewer");
  }

  @AfterAll
  void stop() {
    receiver.close();
    server.close();
  }

  static String unique(String prefix) {
    return prefix + "-" + names.incrementAndGet();
  }

  static String secret(String prefix) {
    return prefix + "-" + UUID.randomUUID();
  }

  static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A template whose step prints {@code same} when {@code $password} is {@code expected} (compared
   * by hash, so the template never holds it) and {@code password=$password} (masked in the log).
   */
  JsonObject template(String name, String expected, String defaultPassword, String hookSecret) {
    JsonObject password = new JsonObject().put("name", "password").put("secret", true);
    if (defaultPassword != null) {
      password.put("default", defaultPassword);
    }
    String command =
        "echo \"password=$password\"; [ \"$(printf %s \"$password\" | sha256sum | cut -c1-64)\" = "
            + sha256(expected)
            + " ] && echo same || echo differs";
    JsonObject template =
        new JsonObject()
            .put("name", name)
            .put("params", new JsonArray().add(password).add(new JsonObject().put("name", "user")))
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "check")
                            .put("kind", "command")
                            .put("command", command)));
    if (hookSecret != null) {
      template.put("notify", hook("/" + name, hookSecret));
    }
    return template;
  }

  JsonArray hook(String path, String secret) {
    return new JsonArray()
        .add(
            new JsonObject()
                .put("url", receiver.url(path))
                .put("events", new JsonArray().add("run.succeeded").add("run.failed"))
                .put("secret", secret));
  }

  Answer created(String path, JsonObject body) {
    Answer answer = server.post(path, operator, body.encode());
    assertThat(answer.status()).as(answer.toString()).isEqualTo(201);
    return answer;
  }

  JsonObject awaitEnd(long runId) {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> server.get("/api/v1/runs/" + runId, operator).json(),
            r ->
                List.of("SUCCEEDED", "FAILED", "CANCELED", "TIMED_OUT")
                    .contains(r.getString("status")));
  }

  /** The run's stored log lines once its step's last line ({@code same}/{@code differs}) is in. */
  List<String> lines(long runId) {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                server
                    .get("/api/v1/runs/" + runId + "/logs?limit=100", operator)
                    .json()
                    .getJsonArray("items")
                    .stream()
                    .map(o -> ((JsonObject) o).getString("line"))
                    .toList(),
            l -> l.contains("same") || l.contains("differs"));
  }

  /** The deliveries to {@code path}, once {@code count} have arrived. */
  List<Receiver.Delivery> deliveries(String path, int count) {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> receiver.to(path), l -> l.size() >= count);
  }

  static void assertSignedWith(Receiver.Delivery d, String secret) {
    assertThat(d.header("X-Nightshift-Signature"))
        .isEqualTo(
            "sha256=" + Notifier.sign(secret, d.header("X-Nightshift-Timestamp") + "." + d.body()));
  }

  static JsonObject step(JsonObject run, String name) {
    return run.getJsonArray("steps").stream()
        .map(o -> (JsonObject) o)
        .filter(s -> s.getString("name").equals(name))
        .findFirst()
        .orElseThrow();
  }

  // ---- audit

  @Test
  void audit_records_of_jobs_and_templates_mask_secret_values_and_webhook_secrets() {
    String template = unique("audited");
    String hook1 = secret("tpl-hook");
    String hook2 = secret("tpl-hook2");
    created("/api/v1/templates", template(template, "x", null, hook1));
    Answer put =
        server.put(
            "/api/v1/templates/" + template,
            operator,
            template(template, "x", null, hook2).encode());
    assertThat(put.status()).as(put.toString()).isEqualTo(200);

    String job = unique("audited-job");
    String value1 = secret("job-value");
    String value2 = secret("job-value2");
    String jobHook1 = secret("job-hook");
    String jobHook2 = secret("job-hook2");
    JsonObject body =
        new JsonObject()
            .put("name", job)
            .put("template", template)
            .put("params", new JsonObject().put("password", value1).put("user", "bob"))
            .put("notify", hook("/audited", jobHook1));
    created("/api/v1/jobs", body);
    body.put("params", new JsonObject().put("password", value2).put("user", "bob"))
        .put("notify", hook("/audited", jobHook2));
    assertThat(server.put("/api/v1/jobs/" + job, operator, body.encode()).status()).isEqualTo(200);
    assertThat(server.post("/api/v1/jobs/" + job + "/pause", operator, "").status()).isEqualTo(200);
    assertThat(server.post("/api/v1/jobs/" + job + "/resume", operator, "").status())
        .isEqualTo(200);

    Answer jobAudit = server.get("/api/v1/audit?kind=job&target=" + job, ADMIN_TOKEN);
    assertThat(jobAudit.status()).isEqualTo(200);
    assertThat(jobAudit.json().getJsonArray("items").stream().map(o -> (JsonObject) o))
        .extracting(e -> e.getString("action"))
        .containsExactly("job.resume", "job.pause", "job.update", "job.create");
    for (Object o : jobAudit.json().getJsonArray("items")) {
      JsonObject detail = ((JsonObject) o).getJsonObject("detail");
      assertThat(detail.getJsonObject("params").getString("password")).isEqualTo("******");
      assertThat(detail.getJsonObject("params").getString("user")).isEqualTo("bob");
      assertThat(detail.getJsonArray("notify").getJsonObject(0).getString("secret"))
          .isEqualTo("******");
    }
    assertThat(jobAudit.body())
        .doesNotContain(value1)
        .doesNotContain(value2)
        .doesNotContain(jobHook1)
        .doesNotContain(jobHook2);
    Answer all = server.get("/api/v1/audit?limit=500", ADMIN_TOKEN);
    assertThat(all.body())
        .doesNotContain(hook1)
        .doesNotContain(hook2)
        .doesNotContain(value1)
        .doesNotContain(value2)
        .doesNotContain(jobHook1)
        .doesNotContain(jobHook2);
  }

  // ---- the mask written back means "unchanged"

  @Test
  void a_job_read_and_written_back_keeps_its_secret_value_and_webhook_secret() {
    String template = unique("roundtrip");
    created("/api/v1/templates", template(template, "unused", null, null));
    String job = unique("roundtrip-job");
    String value = secret("job-secret");
    String hookSecret = secret("job-hook");
    String path = "/" + job;
    created(
        "/api/v1/jobs",
        new JsonObject()
            .put("name", job)
            .put("template", template)
            .put("params", new JsonObject().put("password", value).put("user", "bob"))
            .put("notify", hook(path, hookSecret)));
    // The step compares with the job's value: change the template to expect it.
    assertThat(
            server
                .put(
                    "/api/v1/templates/" + template,
                    operator,
                    template(template, value, null, null).encode())
                .status())
        .isEqualTo(200);

    JsonObject read = server.get("/api/v1/jobs/" + job, operator).json();
    assertThat(read.encode()).doesNotContain(value).doesNotContain(hookSecret);
    Answer written = server.put("/api/v1/jobs/" + job, operator, read.encode());
    assertThat(written.status()).as(written.toString()).isEqualTo(200);
    assertThat(written.body()).doesNotContain(value);

    Answer started = server.post("/api/v1/jobs/" + job + "/runs", operator, "{}");
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    long runId = started.json().getLong("id");
    assertThat(awaitEnd(runId).getString("status")).isEqualTo("SUCCEEDED");
    assertThat(lines(runId)).containsExactly("password=******", "same");
    List<Receiver.Delivery> got = deliveries(path, 1);
    assertSignedWith(got.get(0), hookSecret);
  }

  @Test
  void a_template_read_and_written_back_keeps_its_secret_default_and_webhook_secret() {
    String template = unique("tpl-roundtrip");
    String defaultValue = secret("default");
    String hookSecret = secret("tpl-hook");
    created("/api/v1/templates", template(template, defaultValue, defaultValue, hookSecret));

    JsonObject read = server.get("/api/v1/templates/" + template, operator).json();
    assertThat(read.encode()).doesNotContain(defaultValue).doesNotContain(hookSecret);
    Answer written = server.put("/api/v1/templates/" + template, operator, read.encode());
    assertThat(written.status()).as(written.toString()).isEqualTo(200);
    assertThat(written.json().getInteger("version")).isEqualTo(2);

    Answer started =
        server.post(
            "/api/v1/runs",
            operator,
            new JsonObject().put("template", template).put("params", new JsonObject()).encode());
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    long runId = started.json().getLong("id");
    assertThat(awaitEnd(runId).getString("status")).isEqualTo("SUCCEEDED");
    assertThat(lines(runId)).containsExactly("password=******", "same");
    assertSignedWith(deliveries("/" + template, 1).get(0), hookSecret);
  }

  @Test
  void a_mask_with_no_stored_secret_to_keep_is_refused_naming_the_field() {
    String template = unique("no-stored");
    Answer masked =
        server.post(
            "/api/v1/templates", operator, template(template, "x", "******", null).encode());
    assertThat(masked.status()).isEqualTo(400);
    assertThat(masked.errorMessage()).startsWith("params[0].default:");
    Answer hook =
        server.post(
            "/api/v1/templates", operator, template(template, "x", null, "******").encode());
    assertThat(hook.status()).isEqualTo(400);
    assertThat(hook.errorMessage()).startsWith("notify[0].secret:");

    created("/api/v1/templates", template(template, "x", null, null));
    Answer job =
        server.post(
            "/api/v1/jobs",
            operator,
            new JsonObject()
                .put("name", unique("no-stored-job"))
                .put("template", template)
                .put("params", new JsonObject().put("password", "******"))
                .encode());
    assertThat(job.status()).isEqualTo(400);
    assertThat(job.errorMessage()).startsWith("params.password:");
  }

  @Test
  void a_value_in_the_stores_encrypted_form_is_refused_naming_it_and_no_run_is_made() {
    String template = unique("sealed-looking");
    created("/api/v1/templates", template(template, "unused", null, null));
    int runsBefore =
        server.get("/api/v1/runs?limit=200", operator).json().getJsonArray("items").size();

    for (String param : List.of("password", "user")) {
      Answer refused =
          server.post(
              "/api/v1/runs",
              operator,
              new JsonObject()
                  .put("template", template)
                  .put(
                      "params",
                      new JsonObject()
                          .put("password", "real-value")
                          .put(param, "nsenc:v1:0011223344:AAAA"))
                  .encode());
      assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
      assertThat(refused.errorMessage())
          .startsWith("params." + param + ":")
          .contains("must not start with 'nsenc:v1:'");
    }
    assertThat(server.get("/api/v1/runs?limit=200", operator).json().getJsonArray("items"))
        .hasSize(runsBefore);
  }

  @Test
  void the_mask_given_as_a_run_value_of_a_secret_parameter_is_refused_naming_it() {
    String template = unique("masked-run");
    created("/api/v1/templates", template(template, "unused", null, null));
    String job = unique("masked-run-job");
    created(
        "/api/v1/jobs",
        new JsonObject()
            .put("name", job)
            .put("template", template)
            .put("params", new JsonObject().put("password", secret("job-value"))));
    int runsBefore =
        server.get("/api/v1/runs?limit=200", operator).json().getJsonArray("items").size();

    for (JsonObject body :
        List.of(
            new JsonObject()
                .put("template", template)
                .put("params", new JsonObject().put("password", "******")),
            new JsonObject()
                .put("template", template)
                .put("dryRun", true)
                .put("params", new JsonObject().put("password", "******").put("user", "bob")))) {
      Answer refused = server.post("/api/v1/runs", operator, body.encode());
      assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
      assertThat(refused.errorMessage()).startsWith("params.password:").contains("give the value");
    }
    Answer runNow =
        server.post(
            "/api/v1/jobs/" + job + "/runs",
            operator,
            new JsonObject().put("params", new JsonObject().put("password", "******")).encode());
    assertThat(runNow.status()).as(runNow.toString()).isEqualTo(400);
    assertThat(runNow.errorMessage()).startsWith("params.password:").contains("leave it out");
    assertThat(server.get("/api/v1/runs?limit=200", operator).json().getJsonArray("items"))
        .hasSize(runsBefore);

    // Only secrets: a plain parameter may well be six stars.
    Answer plain =
        server.post(
            "/api/v1/runs",
            operator,
            new JsonObject()
                .put("template", template)
                .put("dryRun", true)
                .put("params", new JsonObject().put("password", "real-value").put("user", "******"))
                .encode());
    assertThat(plain.status()).as(plain.toString()).isEqualTo(200);
  }

  @Test
  void tokens_in_webhook_urls_are_masked_for_viewers_and_kept_when_written_back() {
    String template = unique("url-token");
    String queryToken = secret("query-token");
    String path = "/" + template;
    String url = receiver.url(path) + "?token=" + queryToken + "&v=2";
    JsonObject body = template(template, "x", null, null);
    body.put("notify", new JsonArray().add(new JsonObject().put("url", url)));
    created("/api/v1/templates", body);

    String job = unique("url-token-job");
    String password = secret("url-password");
    String jobUrl =
        receiver.url("/" + job).replace("http://", "http://hookuser:" + password + "@")
            + "?key="
            + queryToken;
    created(
        "/api/v1/jobs",
        new JsonObject()
            .put("name", job)
            .put("template", template)
            .put("params", new JsonObject().put("password", "x123"))
            .put("notify", new JsonArray().add(new JsonObject().put("url", jobUrl))));

    JsonObject shownTemplate = server.get("/api/v1/templates/" + template, viewer).json();
    assertThat(shownTemplate.getJsonArray("notify").getJsonObject(0).getString("url"))
        .isEqualTo(receiver.url(path) + "?token=******&v=******");
    JsonObject shownJob = server.get("/api/v1/jobs/" + job, viewer).json();
    assertThat(shownJob.getJsonArray("notify").getJsonObject(0).getString("url"))
        .isEqualTo(
            receiver.url("/" + job).replace("http://", "http://hookuser:******@") + "?key=******");
    Answer listed = server.get("/api/v1/jobs", viewer);
    assertThat(listed.body()).doesNotContain(password).doesNotContain(queryToken);
    Answer audit = server.get("/api/v1/audit?limit=500", ADMIN_TOKEN);
    assertThat(audit.body()).doesNotContain(password).doesNotContain(queryToken);

    // Written back as shown, the URLs stay what was stored.
    Answer template2 =
        server.put("/api/v1/templates/" + template, operator, shownTemplate.encode());
    assertThat(template2.status()).as(template2.toString()).isEqualTo(200);
    assertThat(template2.body()).doesNotContain(queryToken);
    shownJob.put("params", new JsonObject().put("password", "******"));
    Answer job2 = server.put("/api/v1/jobs/" + job, operator, shownJob.encode());
    assertThat(job2.status()).as(job2.toString()).isEqualTo(200);
    assertThat(job2.body()).doesNotContain(password).doesNotContain(queryToken);
    assertThat(server.get("/api/v1/jobs/" + job, operator).json().getJsonArray("notify"))
        .isEqualTo(shownJob.getJsonArray("notify"));

    Answer started =
        server.post(
            "/api/v1/runs",
            operator,
            new JsonObject()
                .put("template", template)
                .put("params", new JsonObject().put("password", "x123"))
                .encode());
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    long runId = started.json().getLong("id");
    awaitEnd(runId);
    Receiver.Delivery delivered = deliveries(path, 1).get(0);
    assertThat(delivered.query()).isEqualTo("token=" + queryToken + "&v=2");
    JsonObject run =
        Awaitility.await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> server.get("/api/v1/runs/" + runId, viewer).json(),
                r -> !r.getJsonArray("webhookDeliveries").isEmpty());
    assertThat(run.getJsonArray("webhookDeliveries").getJsonObject(0).getString("url"))
        .isEqualTo(receiver.url(path) + "?token=******&v=******");
    assertThat(run.encode()).doesNotContain(queryToken);

    // A shown URL that no stored webhook has is refused, not stored with the mask in it.
    shownTemplate
        .getJsonArray("notify")
        .getJsonObject(0)
        .put("url", receiver.url("/elsewhere") + "?token=******");
    Answer unknown = server.put("/api/v1/templates/" + template, operator, shownTemplate.encode());
    assertThat(unknown.status()).as(unknown.toString()).isEqualTo(400);
    assertThat(unknown.errorMessage()).startsWith("notify[0].url:");
  }

  // ---- at rest

  /** Every stored text a secret could be in, read with plain JDBC. */
  String rawDatabase() throws java.sql.SQLException {
    StringBuilder out = new StringBuilder();
    try (java.sql.Connection c = server.nightshift().database().dataSource().getConnection();
        java.sql.Statement s = c.createStatement()) {
      for (String query :
          List.of(
              "SELECT body FROM template_version",
              "SELECT body FROM job",
              "SELECT params, template_snapshot, error FROM run",
              "SELECT error FROM run_step",
              "SELECT detail FROM audit_event",
              "SELECT line FROM log_line")) {
        try (java.sql.ResultSet rows = s.executeQuery(query)) {
          while (rows.next()) {
            for (int i = 1; i <= rows.getMetaData().getColumnCount(); i++) {
              out.append(rows.getString(i)).append('\n');
            }
          }
        }
      }
    }
    return out.toString();
  }

  @Test
  void no_secret_is_stored_in_clear_and_runs_still_get_them() throws Exception {
    String template = unique("at-rest");
    String defaultValue = secret("default");
    String templateHook = secret("tpl-hook");
    created("/api/v1/templates", template(template, defaultValue, defaultValue, templateHook));
    String job = unique("at-rest-job");
    String jobHook = secret("job-hook");
    created(
        "/api/v1/jobs",
        new JsonObject()
            .put("name", job)
            .put("template", template)
            .put("notify", hook("/" + job, jobHook)));
    Answer started = server.post("/api/v1/jobs/" + job + "/runs", operator, "{}");
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    long runId = started.json().getLong("id");
    assertThat(awaitEnd(runId).getString("status")).isEqualTo("SUCCEEDED");
    assertThat(lines(runId)).containsExactly("password=******", "same");
    assertSignedWith(deliveries("/" + job, 1).get(0), jobHook);
    assertSignedWith(deliveries("/" + template, 1).get(0), templateHook);

    assertThat(rawDatabase())
        .contains(io.nightshift.scheduler.secrets.SecretCipher.PREFIX)
        .doesNotContain(defaultValue)
        .doesNotContain(templateHook)
        .doesNotContain(jobHook);
  }

  // ---- masking gaps

  @Test
  void a_secret_default_is_masked_for_viewers_and_in_errors() {
    String template = unique("default-shown");
    String defaultValue = secret("default");
    created("/api/v1/templates", template(template, defaultValue, defaultValue, null));

    Answer one = server.get("/api/v1/templates/" + template, viewer);
    assertThat(one.body()).doesNotContain(defaultValue);
    assertThat(one.json().getJsonArray("params").getJsonObject(0).getString("default"))
        .isEqualTo("******");
    assertThat(server.get("/api/v1/templates?limit=100", viewer).body())
        .doesNotContain(defaultValue);

    JsonObject bad = template(unique("bad-default"), "x", defaultValue, null);
    bad.getJsonArray("params").getJsonObject(0).put("pattern", "[0-9]+");
    Answer refused = server.post("/api/v1/templates", operator, bad.encode());
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.body()).contains("params[0].default").doesNotContain(defaultValue);
  }

  @Test
  void every_form_of_a_secret_is_masked_in_step_errors_run_errors_and_webhook_payloads() {
    // A two-line secret: a header gets it with the line break turned to a space, and the
    // non-Latin characters make the header value invalid, so the error quotes it.
    String secret = "ключ-" + UUID.randomUUID() + "\nвторая-" + UUID.randomUUID();
    String name = unique("error-mask");
    String path = "/" + name;
    JsonObject template =
        new JsonObject()
            .put("name", name)
            .put(
                "params",
                new JsonArray().add(new JsonObject().put("name", "token").put("secret", true)))
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "header")
                            .put("kind", "http")
                            .put("url", receiver.url("/never"))
                            .put("headers", new JsonObject().put("Authorization", "Bearer $token")))
                    .add(
                        new JsonObject()
                            .put("name", "query")
                            .put("kind", "http")
                            .put("url", "http://127.0.0.1:9/x?token=$token")
                            .put("needs", new JsonArray()))
                    .add(
                        new JsonObject()
                            .put("name", "cannot-start")
                            .put("kind", "http")
                            .put("url", "http://127.0.0.1:9/a b/$token")
                            .put("needs", new JsonArray()))
                    .add(
                        new JsonObject()
                            .put("name", "body")
                            .put("kind", "notify")
                            .put("url", "http://127.0.0.1:9/hook")
                            .put("body", "{\"token\": \"$token\"}")
                            .put("needs", new JsonArray())))
            .put("notify", hook(path, "hook-secret-0001"));
    created("/api/v1/templates", template);

    ch.qos.logback.classic.Logger engineLog =
        (ch.qos.logback.classic.Logger)
            org.slf4j.LoggerFactory.getLogger(io.nightshift.scheduler.run.Engine.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> serviceLog =
        new ch.qos.logback.core.read.ListAppender<>();
    serviceLog.start();
    engineLog.addAppender(serviceLog);
    Answer started =
        server.post(
            "/api/v1/runs",
            operator,
            new JsonObject()
                .put("template", name)
                .put("params", new JsonObject().put("token", secret))
                .encode());
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    long runId = started.json().getLong("id");
    JsonObject run = awaitEnd(runId);
    assertThat(run.getString("status")).isEqualTo("FAILED");
    engineLog.detachAppender(serviceLog);
    String service =
        serviceLog.list.stream()
            .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
            .collect(java.util.stream.Collectors.joining("\n"));
    assertThat(service).as("service log").contains("cannot start").contains("******");

    List<String> forms =
        List.of(
            secret,
            secret.replace("\n", " "),
            secret.split("\n")[0],
            secret.split("\n")[1],
            java.net.URLEncoder.encode(secret, StandardCharsets.UTF_8).replace("+", "%20"),
            java.util.Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8)));
    assertThat(run.getJsonArray("steps").stream().map(o -> ((JsonObject) o).getString("error")))
        .as("every step failed")
        .doesNotContainNull();
    assertThat(step(run, "header").getString("error"))
        .contains("invalid header")
        .contains("******");
    String runAnswer = server.get("/api/v1/runs/" + runId, operator).body();
    String payload = deliveries(path, 1).get(0).body();
    assertThat(new JsonObject(payload).getString("error")).isNotNull();
    String logs = server.get("/api/v1/runs/" + runId + "/logs?limit=100", operator).body();
    for (String form : forms) {
      assertThat(runAnswer).as("run answer").doesNotContain(form);
      assertThat(payload).as("webhook payload").doesNotContain(form);
      assertThat(logs).as("logs").doesNotContain(form);
      assertThat(service).as("service log").doesNotContain(form);
    }
  }
}
