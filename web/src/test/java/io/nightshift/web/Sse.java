package io.nightshift.web;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** A Server-Sent Events client: reads {@code event:}/{@code data:} pairs until {@code end}. */
public final class Sse {
  /** One event; {@code raw} is the data text as received. */
  public record Event(String type, String raw) {
    public JsonObject data() {
      return new JsonObject(raw);
    }
  }

  /** What a follower received: its status code and the events, the last one {@code end}. */
  public record Received(int status, List<Event> events, String body) {}

  private final HttpResponse<Stream<String>> response;

  private Sse(HttpResponse<Stream<String>> response) {
    this.response = response;
  }

  /**
   * Connects and returns once the answer's head has arrived: the server follows the run from then
   * on.
   */
  public static Sse open(int port, String path, String token) throws Exception {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Accept", "text/event-stream")
            .GET();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<Stream<String>> response =
        client.send(request.build(), HttpResponse.BodyHandlers.ofLines());
    if (response.statusCode() == 200) {
      ApiContract.get()
          .checkStreamHead(path, 200, response.headers().firstValue("Content-Type").orElse(null));
    }
    return new Sse(response);
  }

  /** Reads until the {@code end} event (or the server closes the stream), at most 60 s. */
  public Received readToEnd() throws Exception {
    return readToEndAfter(() -> {}, e -> false);
  }

  /**
   * Reads until the {@code end} event (or the server closes the stream), at most 60 s, doing {@code
   * then} once, when the first event that {@code seen} accepts has arrived.
   */
  public Received readToEndAfter(Runnable then, java.util.function.Predicate<Event> seen)
      throws Exception {
    Stream<String> lines = response.body();
    boolean[] done = {false};
    java.util.function.Consumer<Event> onEvent =
        e -> {
          if (!done[0] && seen.test(e)) {
            done[0] = true;
            then.run();
          }
        };
    CompletableFuture<Received> reading =
        CompletableFuture.supplyAsync(() -> read(response.statusCode(), lines.iterator(), onEvent));
    try {
      return reading.get(60, TimeUnit.SECONDS);
    } finally {
      lines.close();
    }
  }

  /** Follows the stream until the {@code end} event. */
  public static Received follow(int port, String path, String token) throws Exception {
    return open(port, path, token).readToEnd();
  }

  private static Received read(
      int status, Iterator<String> lines, java.util.function.Consumer<Event> onEvent) {
    List<Event> events = new ArrayList<>();
    StringBuilder body = new StringBuilder();
    String type = null;
    StringBuilder data = new StringBuilder();
    while (lines.hasNext()) {
      String line = lines.next();
      body.append(line).append('\n');
      if (line.isEmpty()) {
        if (type != null || data.length() > 0) {
          Event event = new Event(type == null ? "message" : type, data.toString());
          if (status == 200) {
            ApiContract.get().checkEvent(event.type(), event.raw());
          }
          events.add(event);
          onEvent.accept(event);
          if (event.type().equals("end")) {
            break;
          }
        }
        type = null;
        data.setLength(0);
      } else if (line.startsWith(":")) {
        continue;
      } else if (line.startsWith("event:")) {
        type = line.substring("event:".length()).trim();
      } else if (line.startsWith("data:")) {
        if (data.length() > 0) {
          data.append('\n');
        }
        data.append(line.substring("data:".length()).stripLeading());
      }
    }
    if (status != 200) {
      ApiContract.get()
          .checkSchema("stream answer " + status, "Error", new JsonObject(body.toString()));
    }
    return new Received(status, events, body.toString());
  }
}
