package io.nightshift.web.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.ApiContract;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * One node's API as a client sees it; every answer is checked against the OpenAPI document, and
 * every run read is checked never to be over while one of its attempts runs.
 */
final class NodeApi {
  static final Set<String> OVER =
      Set.of("SUCCEEDED", "FAILED", "CANCELED", "TIMED_OUT", "ROLLED_BACK", "ROLLBACK_FAILED");

  private final HttpClient http = HttpClient.newHttpClient();

  /** Several calls at a time: one by one, 60 of them take many seconds on a busy machine. */
  private final ExecutorService calls =
      Executors.newFixedThreadPool(
          4,
          task -> {
            Thread thread = new Thread(task, "node-api-client");
            thread.setDaemon(true);
            return thread;
          });

  private final String base;
  private final String token;

  NodeApi(int port, String token) {
    this.base = "http://127.0.0.1:" + port + "/api/v1";
    this.token = token;
  }

  JsonObject get(String path) {
    return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), 200);
  }

  JsonObject post(String path, JsonObject body, int expected) {
    return send(
        HttpRequest.newBuilder(URI.create(base + path))
            .POST(HttpRequest.BodyPublishers.ofString(body.encode())),
        expected);
  }

  /** The run with its steps, after checking that it is not over while an attempt runs. */
  JsonObject run(long id) {
    JsonObject run = get("/runs/" + id);
    boolean attemptRuns =
        run.getJsonArray("steps").stream()
            .map(JsonObject.class::cast)
            .flatMap(NodeApi::attempts)
            .anyMatch(a -> "RUNNING".equals(a.getString("status")));
    assertThat(attemptRuns && OVER.contains(run.getString("status")))
        .as("a run is never over while one of its attempts runs: %s", run)
        .isFalse();
    return run;
  }

  /** The runs, read several at a time, each checked as {@link #run(long)} does. */
  List<JsonObject> runs(List<Long> ids) {
    return all(ids.stream().map(id -> (Callable<JsonObject>) () -> run(id)).toList());
  }

  /** Starts {@code count} runs of {@code template}, several at a time; their ids. */
  List<Long> start(String template, int count) {
    Callable<Long> start =
        () -> post("/runs", new JsonObject().put("template", template), 202).getLong("id");
    return all(java.util.Collections.nCopies(count, start));
  }

  private <T> List<T> all(List<Callable<T>> tasks) {
    try {
      List<T> results = new ArrayList<>();
      for (Future<T> result : calls.invokeAll(tasks)) {
        results.add(result.get());
      }
      return results;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof Error error) {
        throw error; // an assertion failed in a call
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /** Every attempt of a step: listed under {@code attempts} when there were several. */
  static Stream<JsonObject> attempts(JsonObject step) {
    return step.getJsonArray("attempts") == null
        ? Stream.of(step)
        : step.getJsonArray("attempts").stream().map(JsonObject.class::cast);
  }

  private JsonObject send(HttpRequest.Builder request, int expected) {
    try {
      HttpResponse<String> answer =
          http.send(
              request
                  .header("Authorization", "Bearer " + token)
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      ApiContract.get().check(answer);
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(expected);
      return new JsonObject(answer.body());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
