package io.nightshift.web.secrets;

import com.sun.net.httpserver.HttpServer;
import io.nightshift.web.LoopbackHttp;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** A local webhook receiver: keeps every delivery (headers and body) and answers 204. */
final class Receiver implements AutoCloseable {
  record Delivery(String path, String query, Map<String, List<String>> headers, String body) {
    String header(String name) {
      return headers.entrySet().stream()
          .filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0))
          .findFirst()
          .orElse(null);
    }
  }

  private final HttpServer server;
  final List<Delivery> deliveries = new CopyOnWriteArrayList<>();

  Receiver() {
    server =
        LoopbackHttp.start(
            exchange -> {
              byte[] body = exchange.getRequestBody().readAllBytes();
              deliveries.add(
                  new Delivery(
                      exchange.getRequestURI().getPath(),
                      exchange.getRequestURI().getRawQuery(),
                      Map.copyOf(exchange.getRequestHeaders()),
                      new String(body, StandardCharsets.UTF_8)));
              exchange.sendResponseHeaders(204, -1);
              exchange.close();
            });
  }

  /** The deliveries to {@code path}. */
  List<Delivery> to(String path) {
    return deliveries.stream().filter(d -> d.path().equals(path)).toList();
  }

  String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
