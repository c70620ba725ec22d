package io.nightshift.web.runs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.web.RedisProcess;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.awaitility.Awaitility;

/**
 * A real server on one store (H2 with the in-process bus, or MySQL with a private Redis) and the
 * calls the run tests make: templates, runs, waiting for states, logs.
 */
final class RunsApi implements AutoCloseable {
  static final Set<String> TERMINAL =
      Set.of("SUCCEEDED", "FAILED", "CANCELED", "TIMED_OUT", "ROLLED_BACK", "ROLLBACK_FAILED");

  private static final AtomicInteger names = new AtomicInteger();

  final TestServer server;
  final String operator;
  final String operatorName;
  private final RedisProcess redis;

  private RunsApi(TestServer server, RedisProcess redis) {
    this.server = server;
    this.redis = redis;
    this.operatorName = "operator-" + names.incrementAndGet();
    this.operator = server.token(operatorName, "operator");
  }

  static RunsApi start(TestServer.Store store) {
    if (store == TestServer.Store.H2) {
      return new RunsApi(TestServer.start(TestServer.Store.H2), null);
    }
    RedisProcess redis = RedisProcess.start();
    try {
      return new RunsApi(TestServer.start(TestServer.Store.MYSQL, redis.url()), redis);
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  /** A template name no other test uses. */
  static String uniqueName(String prefix) {
    return prefix + "-" + names.incrementAndGet();
  }

  /** A folder in the temp dir, deleted at the latest when the test JVM exits. */
  static Path tempDir() {
    return TempFolders.create("nightshift-runs-");
  }

  // ---- templates

  static JsonObject param(String name) {
    return new JsonObject().put("name", name);
  }

  /** Stores a template with these params and steps; returns its name. */
  String template(String prefix, JsonArray params, JsonObject... steps) {
    String name = uniqueName(prefix);
    JsonObject template =
        new JsonObject().put("name", name).put("params", params).put("steps", new JsonArray());
    for (JsonObject step : steps) {
      template.getJsonArray("steps").add(step);
    }
    Answer created = server.post("/api/v1/templates", ADMIN_TOKEN, template.encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    return name;
  }

  /** A template whose only parameter is the required {@code dir}, a folder for the steps' files. */
  String templateWithDir(String prefix, JsonObject... steps) {
    return template(prefix, new JsonArray().add(param("dir").put("required", true)), steps);
  }

  // ---- runs

  Answer post(String template, JsonObject params) {
    JsonObject body = new JsonObject().put("template", template);
    if (params != null) {
      body.put("params", params);
    }
    return server.post("/api/v1/runs", operator, body.encode());
  }

  /** Starts a run and returns its id. */
  long start(String template, JsonObject params) {
    Answer answer = post(template, params);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(202);
    return answer.json().getLong("id");
  }

  long start(String template, Path dir) {
    return start(template, new JsonObject().put("dir", dir.toString()));
  }

  JsonObject run(long id) {
    Answer answer = server.get("/api/v1/runs/" + id, operator);
    assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    return answer.json();
  }

  JsonObject await(long id, Predicate<JsonObject> condition) {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> run(id), condition);
  }

  /** Waits until the run has ended and returns it. */
  JsonObject awaitEnd(long id) {
    return await(id, r -> TERMINAL.contains(r.getString("status")));
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

  static Instant time(JsonObject object, String field) {
    String text = object.getString(field);
    assertThat(text).as(field + " of " + object).isNotNull();
    return Instant.parse(text);
  }

  // ---- logs

  Answer logsPage(long runId, String query) {
    return server.get(
        "/api/v1/runs/" + runId + "/logs" + (query.isEmpty() ? "" : "?" + query), operator);
  }

  /** Every stored line of the run (optionally one step), walking the pages. */
  List<JsonObject> logs(long runId, String step, int limit) {
    List<JsonObject> lines = new ArrayList<>();
    String after = null;
    do {
      StringBuilder query = new StringBuilder("limit=" + limit);
      if (step != null) {
        query.append("&step=").append(encode(step));
      }
      if (after != null) {
        query.append("&after=").append(encode(after));
      }
      Answer page = logsPage(runId, query.toString());
      assertThat(page.status()).as(page.toString()).isEqualTo(200);
      page.json().getJsonArray("items").forEach(o -> lines.add((JsonObject) o));
      after = page.json().getString("next");
    } while (after != null);
    return lines;
  }

  /**
   * Waits until the stored lines of the run satisfy the condition: with Redis, lines reach the
   * store through the stream subscriber, shortly after the run may have ended.
   */
  List<JsonObject> awaitLogs(long runId, Predicate<List<JsonObject>> condition) {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> logs(runId, null, 1000), condition);
  }

  static List<String> texts(List<JsonObject> lines) {
    return lines.stream().map(l -> l.getString("line")).toList();
  }

  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  static String read(Path file) {
    try {
      return Files.readString(file).trim();
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
    }
  }
}
