package io.nightshift.web.approvals;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The game's health endpoint and the chat webhook of the game-update template, on one local HTTP
 * server: every request is recorded with its method, path and body; the answer is always 200.
 */
final class Hook implements AutoCloseable {
  record Request(String method, String path, String body) {}

  private final HttpServer server;
  final List<Request> received = new CopyOnWriteArrayList<>();

  Hook() {
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext(
        "/",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          received.add(
              new Request(
                  exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), body));
          byte[] answer = "ok".getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, answer.length);
          exchange.getResponseBody().write(answer);
          exchange.close();
        });
    server.start();
  }

  String base() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Requests whose path starts with this run's marker (each run gets its own paths). */
  List<Request> to(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
