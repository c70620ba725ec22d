package io.nightshift.web.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** The Nightshift HTTP API as the CLI uses it: JSON in, JSON out, errors as {@link ApiError}. */
final class Api {
  private final String base;
  private final String token;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  /**
   * Sees every answer the CLI receives, so the tests hold the CLI's answers to the OpenAPI document
   * as they do every other answer; none outside tests.
   */
  interface Observer {
    void answer(HttpResponse<String> response);

    /** A stream's head; {@code errorBody} is the body of a refused stream (null when 200). */
    void streamHead(HttpResponse<?> response, String errorBody);

    void event(String type, String data);
  }

  static volatile Observer observer;

  /** Waits before a request is sent again (tests wait on a clock of their own). */
  interface Sleeper {
    void sleep(Duration pause) throws InterruptedException;
  }

  static volatile Sleeper sleeper = pause -> Thread.sleep(pause.toMillis());

  private final Consumer<String> notes;

  /** {@code notes}: where a request sent again is said (the command's standard error). */
  Api(String url, String token, Consumer<String> notes) {
    this.base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.token = token;
    this.notes = notes;
  }

  String base() {
    return base;
  }

  JsonObject get(String path) {
    return send("GET", path, null, null);
  }

  JsonObject post(String path, JsonObject body) {
    return send("POST", path, body == null ? null : body.encode(), "application/json");
  }

  JsonObject put(String path, JsonObject body) {
    return send("PUT", path, body.encode(), "application/json");
  }

  JsonObject delete(String path) {
    return send("DELETE", path, null, null);
  }

  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  JsonObject send(String method, String path, String body, String contentType) {
    return answer(
        send(request(method, path, body, contentType), HttpResponse.BodyHandlers.ofString()));
  }

  /**
   * Posts a request that starts a run, with an {@code Idempotency-Key} of its own: when no answer
   * comes back (the connection broke before the answer) or the answer is 503 (the node is draining,
   * its database is busy) or a load balancer's 502 or 504, the same request is sent again with the
   * same key, up to {@link #RESENDS} times, after the answer's {@code Retry-After} (at most {@link
   * #MAX_PAUSE}). The server starts one run per key, so a request that went through although its
   * answer was lost is answered with the run it started, not started twice. A connection refused
   * before any copy may have arrived fails at once; once one may have, the final failure says the
   * run may have started and gives the key. {@code givenKey}: the key to send (null: a new one).
   */
  JsonObject start(String path, JsonObject body, String givenKey) {
    String key = givenKey != null ? givenKey : java.util.UUID.randomUUID().toString();
    // Whether a copy may have reached a node, and whether one may have started the run unseen
    // (its answer lost, or a load balancer's 502/504 in its place).
    boolean mayHaveArrived = false;
    boolean unseen = false;
    for (int resends = 0; ; resends++) {
      HttpRequest.Builder request = request("POST", path, body.encode(), "application/json");
      request.header("Idempotency-Key", key);
      HttpResponse<String> response;
      try {
        response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        mayHaveArrived |= !neverSent(e);
        unseen |= !neverSent(e);
        if (!mayHaveArrived) {
          throw unreachable(e); // no copy reached a node: nothing started
        }
        if (resends == RESENDS) {
          throw mayHaveStarted(unreachable(e), key);
        }
        pause("no answer from " + base + " (" + why(e) + ")", Duration.ofSeconds(1));
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ApiError(0, "interrupted");
      }
      mayHaveArrived = true;
      if (!worthSendingAgain(response)) {
        return answer(response);
      }
      if (resends == RESENDS) {
        observe(response);
        ApiError last = error(response.statusCode(), response.body());
        throw unseen ? mayHaveStarted(last, key) : last;
      }
      unseen |= response.statusCode() != 503;
      observe(response);
      pause(error(response.statusCode(), response.body()).getMessage(), retryAfter(response));
    }
  }

  private static ApiError mayHaveStarted(ApiError last, String key) {
    return new ApiError(
        last.status(),
        last.getMessage()
            + "; the run may have started: look with `nightshift runs`, or send the same"
            + " command again with --idempotency-key "
            + key
            + " (it starts the run at most once)");
  }

  /**
   * A load balancer's 502 or 504 (the node died or did not answer in time) or a node's 503 that
   * passes (draining, database busy or unreachable, a write conflict): sent again, the request may
   * reach another node or the same one in a better moment. A 503 for a secret this node cannot read
   * does not pass by itself.
   */
  private static boolean worthSendingAgain(HttpResponse<String> response) {
    int status = response.statusCode();
    if (status == 502 || status == 504) {
      return true;
    }
    if (status != 503) {
      return false;
    }
    try {
      JsonObject error = new JsonObject(response.body()).getJsonObject("error");
      return error == null || !"secrets_unavailable".equals(error.getString("code"));
    } catch (RuntimeException notTheEnvelope) {
      return true;
    }
  }

  /**
   * The request reached no server: the connection was refused or timed out, or TLS failed before
   * anything was sent.
   */
  private static boolean neverSent(IOException e) {
    return e instanceof java.net.ConnectException
        || e instanceof java.net.http.HttpConnectTimeoutException
        || e instanceof javax.net.ssl.SSLHandshakeException;
  }

  /** How many times {@link #start} sends a request again. */
  static final int RESENDS = 3;

  /** The longest pause before a request is sent again, whatever Retry-After says. */
  static final Duration MAX_PAUSE = Duration.ofSeconds(5);

  private static Duration retryAfter(HttpResponse<?> response) {
    try {
      long seconds =
          Long.parseLong(response.headers().firstValue("Retry-After").orElse("1").trim());
      return Duration.ofSeconds(Math.max(0, seconds));
    } catch (NumberFormatException e) {
      return Duration.ofSeconds(1);
    }
  }

  private void pause(String why, Duration pause) {
    Duration wait = pause.compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause;
    notes.accept(
        why + "; sending the request again in " + wait.toSeconds() + " s (same Idempotency-Key)");
    try {
      sleeper.sleep(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiError(0, "interrupted");
    }
  }

  private HttpRequest.Builder request(String method, String path, String body, String contentType) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(60))
            .header("Accept", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    authorize(request);
    return request;
  }

  private static void observe(HttpResponse<String> response) {
    Observer seen = observer;
    if (seen != null) {
      seen.answer(response);
    }
  }

  /** The answer's JSON; an {@link ApiError} with the API's message for a 4xx or 5xx. */
  private static JsonObject answer(HttpResponse<String> response) {
    observe(response);
    if (response.statusCode() >= 400) {
      throw error(response.statusCode(), response.body());
    }
    String text = response.body();
    if (text == null || text.isBlank()) {
      return new JsonObject();
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException e) {
      throw new ApiError(response.statusCode(), "the server answered something other than JSON");
    }
  }

  /**
   * Opens a Server-Sent Events stream; {@code timeout}: how long its answer's head may take. Read
   * it with {@link EventStream}.
   */
  HttpResponse<Stream<String>> openStream(String path, Duration timeout) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(path))
            .timeout(timeout)
            .header("Accept", "text/event-stream")
            .GET();
    authorize(request);
    return send(request, HttpResponse.BodyHandlers.ofLines());
  }

  /** Says something on the command's standard error. */
  void note(String text) {
    notes.accept(text);
  }

  /** Every item of a paged list, following {@code next} with the given cursor parameter. */
  void each(String path, String cursorParam, Consumer<JsonObject> item) {
    String cursor = null;
    do {
      String sep = path.contains("?") ? "&" : "?";
      JsonObject page =
          get(cursor == null ? path : path + sep + cursorParam + "=" + encode(cursor));
      page.getJsonArray("items").forEach(o -> item.accept((JsonObject) o));
      cursor = page.getString("next");
    } while (cursor != null);
  }

  private URI uri(String path) {
    try {
      return URI.create(base + path);
    } catch (IllegalArgumentException e) {
      throw new ApiError(0, "bad server URL '" + base + "': " + e.getMessage());
    }
  }

  private void authorize(HttpRequest.Builder request) {
    if (token != null && !token.isBlank()) {
      request.header("Authorization", "Bearer " + token);
    }
  }

  /** Sends the request; a server out of reach or an interrupt is an {@link ApiError}. */
  private <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> body) {
    try {
      return client.send(request.build(), body);
    } catch (IOException e) {
      throw unreachable(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiError(0, "interrupted");
    }
  }

  private ApiError unreachable(IOException e) {
    return new ApiError(0, "cannot reach " + base + ": " + why(e));
  }

  /**
   * What went wrong, in words: the JDK's client often throws a bare {@code ConnectException} whose
   * cause holds the reason ("Connection refused").
   */
  static String why(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && t.getMessage().contains("received no bytes")) {
        return "the connection closed before any answer"; // the JDK's "header parser ..."
      }
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
      if (t instanceof java.nio.channels.UnresolvedAddressException) {
        return "unknown host";
      }
    }
    return e instanceof java.net.ConnectException
        ? "connection refused (is a node listening there?)"
        : e.getClass().getSimpleName();
  }

  /** The API's own message, on one line; the HTTP status when the body is not the envelope. */
  static ApiError error(int status, String body) {
    String message = "HTTP " + status;
    try {
      JsonObject error = new JsonObject(body).getJsonObject("error");
      if (error != null && error.getString("message") != null) {
        message = error.getString("message");
        JsonArray details = error.getJsonArray("details");
        if (details != null && details.size() > 1) {
          // Every problem, not the first and "see details": a terminal has no details to see.
          List<String> problems = new ArrayList<>();
          for (Object d : details) {
            JsonObject detail = (JsonObject) d;
            String field = detail.getString("field");
            problems.add(
                (field == null || field.isEmpty() ? "" : field + ": ")
                    + detail.getString("message"));
          }
          message = String.join("; ", problems);
          if (error.getInteger("detailsOmitted") != null) {
            message += "; and " + error.getInteger("detailsOmitted") + " more";
          }
        }
      }
    } catch (RuntimeException e) {
      // not the error envelope: keep the status
    }
    return new ApiError(status, message.replaceAll("\\s*\\R\\s*", " "));
  }
}
