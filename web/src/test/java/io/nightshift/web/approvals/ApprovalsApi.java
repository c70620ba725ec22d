package io.nightshift.web.approvals;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.RedisProcess;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.flywaydb.core.Flyway;

/**
 * A real server on one store (H2 with the in-process bus, or MySQL with a private Redis), the
 * tokens of the approval tests, and the calls they make. {@link #restart()} stops the server and
 * starts a new one on the same database, data folder and node name.
 */
final class ApprovalsApi implements AutoCloseable {
  static final Set<String> TERMINAL =
      Set.of("SUCCEEDED", "FAILED", "CANCELED", "TIMED_OUT", "ROLLED_BACK", "ROLLBACK_FAILED");

  private static final AtomicInteger names = new AtomicInteger();

  final TestServer.Store store;
  final Config config;
  private final RedisProcess redis;
  TestServer server;

  /** Starts runs (roles operator). */
  String deployer;

  /** Decides approvals listing role:qa (roles approver, qa). */
  String anna;

  /** An approver of another team (roles approver, ops): not listed by role:qa. */
  String bob;

  /** Reads only. */
  String viewer;

  /** Starts runs and also holds approver and qa: the self-approval case. */
  String lead;

  /** Writes the templates (roles operator): a requester of every run, so it decides nothing. */
  String author;

  private ApprovalsApi(TestServer.Store store, Config config, RedisProcess redis) {
    this.store = store;
    this.config = config;
    this.redis = redis;
    this.server = TestServer.start(config);
  }

  static ApprovalsApi start(TestServer.Store store) {
    Path dataDir = tempDir("nightshift-approvals-data-");
    if (store == TestServer.Store.H2) {
      ApprovalsApi api =
          new ApprovalsApi(
              store, TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null), null);
      api.tokens();
      return api;
    }
    RedisProcess redis = RedisProcess.start();
    try {
      ApprovalsApi api =
          new ApprovalsApi(
              store, TestServer.config(dataDir, TestDatabases.cleanMysql(), redis.url()), redis);
      api.tokens();
      return api;
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  private void tokens() {
    deployer = server.token("deployer", "operator");
    anna = server.token("qa-anna", "approver", "qa");
    bob = server.token("ops-bob", "approver", "ops");
    viewer = server.token("watcher", "viewer");
    lead = server.token("lead", "operator", "approver", "qa");
    author = server.token("author", "operator");
  }

  /**
   * A second, separate server whose config allows self-approval: on H2 a new data folder, on MySQL
   * a database of its own (next to the test database) with the same Redis.
   */
  TestServer startWithSelfApproval() {
    Path dataDir = tempDir("nightshift-approvals-self-");
    DatabaseSettings db =
        store == TestServer.Store.H2 ? TestDatabases.h2Settings(dataDir) : otherMysqlDatabase();
    Config base = TestServer.config(dataDir, db, config.redis().url());
    return TestServer.start(base.withAuth(new Config.Auth(ADMIN_TOKEN, true)));
  }

  /** The test database's name with "_self" appended, created when missing and emptied. */
  private static DatabaseSettings otherMysqlDatabase() {
    DatabaseSettings test = TestDatabases.mysqlSettings();
    String url = test.url();
    int query = url.indexOf('?');
    String path = query < 0 ? url : url.substring(0, query);
    String rest = query < 0 ? "" : url.substring(query);
    DatabaseSettings other =
        new DatabaseSettings(path + "_self" + rest, test.user(), test.password(), test.poolSize());
    String create =
        other.url() + (other.url().contains("?") ? "&" : "?") + "createDatabaseIfNotExist=true";
    Flyway.configure()
        .dataSource(create, other.user(), other.password())
        .cleanDisabled(false)
        .locations("classpath:db/migration")
        .load()
        .clean();
    return other;
  }

  /** Another node on the same database and Redis (MySQL only: nodes share a MySQL). */
  TestServer startSecondNode() {
    Config base = TestServer.config(tempDir("nightshift-approvals-node2-"), config.db(), null);
    return TestServer.start(
        base.withDb(config.db()).withRedis(config.redis()).withAuth(config.auth()));
  }

  /** Stops the server (gracefully) and starts a new one on the same database and node. */
  void restart() {
    server.close();
    server = TestServer.start(config);
  }

  /** A folder in the temp dir, deleted at the latest when the test JVM exits. */
  static Path tempDir(String prefix) {
    return TempFolders.create(prefix);
  }

  static String uniqueName(String prefix) {
    return prefix + "-" + names.incrementAndGet();
  }

  // ---- templates

  String createTemplate(JsonObject template) {
    Answer created = server.post("/api/v1/templates", author, template.encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    return template.getString("name");
  }

  // ---- runs

  long start(String token, String template, JsonObject params) {
    Answer answer =
        server.post(
            "/api/v1/runs",
            token,
            new JsonObject().put("template", template).put("params", params).encode());
    assertThat(answer.status()).as(answer.toString()).isEqualTo(202);
    return answer.json().getLong("id");
  }

  JsonObject run(long id) {
    Answer answer = server.get("/api/v1/runs/" + id, ADMIN_TOKEN);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    return answer.json();
  }

  JsonObject await(long id, Predicate<JsonObject> condition) {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> run(id), condition);
  }

  JsonObject awaitEnd(long id) {
    return await(id, r -> TERMINAL.contains(r.getString("status")));
  }

  /** Waits until the run is WAITING_APPROVAL on its step {@code qa}. */
  JsonObject awaitWaiting(long id) {
    return await(
        id,
        r -> {
          if (TERMINAL.contains(r.getString("status"))) {
            throw new AssertionError("the run ended before its approval: " + r.encodePrettily());
          }
          return r.getString("status").equals("WAITING_APPROVAL")
              && stepStatus(r, "qa").equals("WAITING_APPROVAL");
        });
  }

  static JsonObject step(JsonObject run, String name) {
    for (Object o : run.getJsonArray("steps")) {
      JsonObject step = (JsonObject) o;
      if (step.getString("name").equals(name)) {
        return step;
      }
    }
    throw new AssertionError("run " + run.getLong("id") + " has no step " + name + ": " + run);
  }

  static String stepStatus(JsonObject run, String name) {
    return step(run, name).getString("status");
  }

  // ---- approvals

  Answer list(String token, String query) {
    return server.get("/api/v1/approvals" + (query.isEmpty() ? "" : "?" + query), token);
  }

  /** The ids of the approvals this token is shown for the query. */
  List<Long> listIds(String token, String query) {
    Answer answer = list(token, query);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    List<Long> ids = new ArrayList<>();
    answer.json().getJsonArray("items").forEach(o -> ids.add(((JsonObject) o).getLong("id")));
    return ids;
  }

  /** The one approval of the run. */
  JsonObject approvalOf(long runId) {
    Answer answer = list(ADMIN_TOKEN, "run=" + runId);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    JsonArray items = answer.json().getJsonArray("items");
    assertThat(items).as(answer.toString()).hasSize(1);
    return items.getJsonObject(0);
  }

  JsonObject approval(long id) {
    Answer answer = server.get("/api/v1/approvals/" + id, ADMIN_TOKEN);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    return answer.json();
  }

  Answer approve(long id, String token, String comment) {
    return server.post(
        "/api/v1/approvals/" + id + "/approve",
        token,
        comment == null ? null : new JsonObject().put("comment", comment).encode());
  }

  Answer deny(long id, String token, String comment) {
    return server.post(
        "/api/v1/approvals/" + id + "/deny",
        token,
        comment == null ? null : new JsonObject().put("comment", comment).encode());
  }

  // ---- logs

  /** Every stored line of the run, walking the pages. */
  List<JsonObject> logs(long runId) {
    List<JsonObject> lines = new ArrayList<>();
    String after = null;
    do {
      String query = "limit=500" + (after == null ? "" : "&after=" + encode(after));
      Answer page = server.get("/api/v1/runs/" + runId + "/logs?" + query, ADMIN_TOKEN);
      assertThat(page.status()).as(page.toString()).isEqualTo(200);
      page.json().getJsonArray("items").forEach(o -> lines.add((JsonObject) o));
      after = page.json().getString("next");
    } while (after != null);
    return lines;
  }

  List<JsonObject> awaitLogs(long runId, Predicate<List<JsonObject>> condition) {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> logs(runId), condition);
  }

  /** Audit records about one approval, newest first. */
  JsonArray audit(long approvalId) {
    Answer answer = server.get("/api/v1/audit?kind=approval&target=" + approvalId, ADMIN_TOKEN);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    return answer.json().getJsonArray("items");
  }

  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } finally {
      if (redis != null) {
        redis.close();
      }
      TempFolders.delete(config.dataDir());
    }
  }
}
