package io.nightshift.bench;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The service's HTTP API over loopback, as any client would call it. Thread-safe. */
final class Api {
  private final String root;
  private final String base;
  private final String token;
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  Api(int port, String token) {
    this.root = "http://127.0.0.1:" + port;
    this.base = root + "/api/v1";
    this.token = token;
  }

  /** Answers with the JSON body; anything but {@code expect} is an error naming the answer. */
  JsonObject post(String path, JsonObject body, int expect) {
    HttpRequest request =
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
            .build();
    return send(request, expect);
  }

  JsonObject get(String path) {
    return send(request(path).GET().build(), 200);
  }

  /** The Prometheus scrape ({@code GET /metrics}, outside the API). */
  String metrics() {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(root + "/metrics"))
            .timeout(Duration.ofSeconds(30))
            .GET()
            .build();
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IllegalStateException("GET /metrics answered " + response.statusCode());
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A streaming GET (Server-Sent Events): the body as it arrives. */
  InputStream stream(String path) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + token)
            .header("Accept", "text/event-stream")
            .GET()
            .build();
    try {
      HttpResponse<InputStream> response =
          client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() != 200) {
        String body = new String(response.body().readAllBytes());
        throw new IllegalStateException(
            "GET " + path + " answered " + response.statusCode() + " " + body);
      }
      return response.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + token);
  }

  private JsonObject send(HttpRequest request, int expect) {
    try {
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != expect) {
        throw new IllegalStateException(
            request.method()
                + " "
                + request.uri().getPath()
                + " answered "
                + response.statusCode()
                + " "
                + response.body());
      }
      return response.body().isEmpty() ? new JsonObject() : new JsonObject(response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
