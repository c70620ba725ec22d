package io.nightshift.web.recovery;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Webhook endpoints on a free loopback port ({@code /a}, {@code /b}, ...: one per webhook) that
 * record every delivery they get, repeats included, and answer 204. One endpoint can be held: its
 * deliveries are recorded but not answered until {@link #release()} (or the sender gives up).
 */
final class WebhookReceiver implements AutoCloseable {
  /** One delivery as received: which endpoint, its idempotency key and what it announces. */
  record Delivery(
      String hook,
      String deliveryId,
      String headerDeliveryId,
      long eventId,
      String event,
      long runId,
      long receivedNanos) {}

  private final HttpServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<Delivery> received = new CopyOnWriteArrayList<>();
  private volatile String held;
  private final CountDownLatch released = new CountDownLatch(1);

  private WebhookReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::receive);
    server.setExecutor(threads);
    server.start();
  }

  static WebhookReceiver start() throws IOException {
    return new WebhookReceiver();
  }

  String url(String hook) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + hook;
  }

  /** From now on, deliveries to {@code hook} get no answer until {@link #release()}. */
  void hold(String hook) {
    held = hook;
  }

  void release() {
    released.countDown();
  }

  List<Delivery> received() {
    return List.copyOf(received);
  }

  private void receive(HttpExchange exchange) throws IOException {
    try (exchange) {
      JsonObject payload =
          new JsonObject(
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      received.add(
          new Delivery(
              exchange.getRequestURI().getPath().substring(1),
              payload.getString("deliveryId"),
              exchange.getRequestHeaders().getFirst("X-Nightshift-Delivery"),
              payload.getLong("eventId"),
              payload.getString("event"),
              payload.getLong("runId"),
              System.nanoTime()));
      if (exchange.getRequestURI().getPath().substring(1).equals(held)) {
        released.await(60, TimeUnit.SECONDS);
      }
      exchange.sendResponseHeaders(204, -1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException senderGone) {
      // the sender gave up waiting or was killed: the delivery is recorded all the same
    }
  }

  @Override
  public void close() {
    release();
    server.stop(0);
    threads.shutdownNow();
  }
}
