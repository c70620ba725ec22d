package io.nightshift.web.cli;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.stream.Stream;

/**
 * One read of a Server-Sent Events stream of the API: each event (its type and JSON data) is handed
 * on until the {@code end} event, or until the stream stops without it, which is then said how
 * ({@link Stopped}). A stream silent for longer than three of the keepalives the server says it
 * sends (header {@code Nightshift-Keepalive-Ms}; 45 s if it says nothing), no event and not even a
 * keepalive comment, is closed and taken for broken: the network on the way may have gone away
 * without closing anything.
 */
final class EventStream {
  /**
   * How a stream stopped without its {@code end} event: the id of the last event received (null if
   * none had one), the last event when it said why ({@code closing}, {@code dropped}, {@code
   * revoked}, {@code error}; else null), the reason in words, and how many events came.
   */
  record Stopped(String after, String event, String why, int received) {}

  /**
   * How long a stream may stay silent when the server does not say how often it sends keepalives.
   */
  private static final Duration IDLE_LIMIT = Duration.ofSeconds(45);

  /** How many keepalives a stream may miss. */
  private static final int KEEPALIVES_MISSED = 3;

  /** How long the head of a stream's answer may take. */
  private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(30);

  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "nightshift-cli-stream-watch");
            t.setDaemon(true);
            return t;
          });

  private EventStream() {}

  /**
   * Reads the stream at {@code path}: null once its {@code end} event came, else how it stopped.
   */
  static Stopped read(Api api, String path, BiConsumer<String, JsonObject> events) {
    HttpResponse<Stream<String>> response = api.openStream(path, HEAD_TIMEOUT);
    Duration idle =
        response.headers().firstValueAsLong("Nightshift-Keepalive-Ms").stream()
            .filter(ms -> ms > 0)
            .mapToObj(ms -> Duration.ofMillis(ms * KEEPALIVES_MISSED))
            .findFirst()
            .orElse(IDLE_LIMIT);
    Api.Observer seen = Api.observer;
    AtomicLong lastRead = new AtomicLong(System.nanoTime());
    AtomicBoolean silent = new AtomicBoolean();
    ScheduledFuture<?> watch =
        WATCHDOG.scheduleWithFixedDelay(
            () -> {
              if (System.nanoTime() - lastRead.get() > idle.toNanos()
                  && silent.compareAndSet(false, true)) {
                response.body().close();
              }
            },
            idle.toMillis() / 4,
            idle.toMillis() / 4,
            TimeUnit.MILLISECONDS);
    try (Stream<String> lines = response.body()) {
      if (response.statusCode() >= 400) {
        StringBuilder body = new StringBuilder();
        lines.forEach(body::append);
        if (seen != null) {
          seen.streamHead(response, body.toString());
        }
        throw Api.error(response.statusCode(), body.toString());
      }
      if (seen != null) {
        seen.streamHead(response, null);
      }
      Iterator<String> it = lines.iterator();
      String type = null;
      String id = null;
      String after = null;
      String last = null;
      String why = "the server ended the stream";
      int received = 0;
      StringBuilder data = new StringBuilder();
      try {
        while (it.hasNext()) {
          String line = it.next();
          lastRead.set(System.nanoTime());
          if (line.isEmpty()) {
            if (data.length() > 0) {
              String name = type == null ? "message" : type;
              if (seen != null) {
                seen.event(name, data.toString());
              }
              JsonObject json = new JsonObject(data.toString());
              events.accept(name, json);
              received++;
              if ("end".equals(name)) {
                return null;
              }
              String named = json.getString("after");
              after = named != null ? named : id != null ? id : after;
              String reason = json.getString("reason", json.getString("message"));
              if (!"log".equals(name) && reason != null) {
                last = name;
                why = reason;
              }
            }
            type = null;
            id = null;
            data.setLength(0);
          } else if (line.startsWith("event:")) {
            type = line.substring(6).trim();
          } else if (line.startsWith("id:")) {
            id = line.substring(3).trim();
          } else if (line.startsWith("data:")) {
            data.append(line.substring(5).stripLeading());
          }
        }
      } catch (java.io.UncheckedIOException e) {
        why = "the connection to " + api.base() + " broke (" + Api.why(e) + ")";
      }
      if (silent.get()) {
        why = "nothing came from " + api.base() + " for " + idle.toSeconds() + " s";
      }
      return new Stopped(after, last, why, received);
    } finally {
      watch.cancel(false);
    }
  }
}
