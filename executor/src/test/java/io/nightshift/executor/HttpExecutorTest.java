package io.nightshift.executor;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.nightshift.executor.Outcome.Status;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpExecutorTest {
  private final HttpExecutor executor = new HttpExecutor(Clock.systemUTC());
  private final CollectingSink sink = new CollectingSink();
  private final CountDownLatch release = new CountDownLatch(1);
  private final CountDownLatch slowCalled = new CountDownLatch(1);
  private ExecutorService serverThreads;
  private HttpServer server;
  private String base;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    serverThreads = Executors.newCachedThreadPool();
    server.setExecutor(serverThreads);
    server.createContext("/ok", ex -> respond(ex, 200, "all good\nsecond line\n"));
    server.createContext("/down", ex -> respond(ex, 503, "maintenance"));
    server.createContext(
        "/echo",
        ex ->
            respond(
                ex,
                201,
                ex.getRequestMethod()
                    + " "
                    + ex.getRequestHeaders().getFirst("X-Check")
                    + " "
                    + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
    server.createContext(
        "/many",
        ex ->
            respond(
                ex,
                200,
                IntStream.rangeClosed(1, 500)
                    .mapToObj(i -> "line " + i)
                    .collect(Collectors.joining("\n"))));
    server.createContext(
        "/slow",
        ex -> {
          slowCalled.countDown();
          try {
            release.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          respond(ex, 200, "late");
        });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stopServer() {
    release.countDown();
    server.stop(0);
    serverThreads.shutdownNow();
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  private HttpSpec get(String url, Duration timeout, Set<String> secrets) {
    return new HttpSpec("GET", URI.create(url), Map.of(), null, 200, timeout, secrets, 1000, 1000);
  }

  private Outcome run(HttpSpec spec) throws Exception {
    return executor.start(spec, sink).outcome().get(20, TimeUnit.SECONDS);
  }

  @Test
  void the_expected_status_succeeds_and_logs_the_call_and_the_body() throws Exception {
    Outcome outcome = run(get(base + "/ok", Duration.ofSeconds(5), Set.of()));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(outcome.error()).isNull();
    assertThat(outcome.exitCode()).isNull();
    assertThat(sink.system()).hasSize(1);
    assertThat(sink.system().get(0))
        .matches("GET http://127\\.0\\.0\\.1:\\d+/ok -> 200 in \\d+ ms");
    assertThat(sink.stdout()).containsExactly("all good", "second line");
    assertThat(sink.seqs()).containsExactly(1L, 2L, 3L);
    assertThat(outcome.lines()).isEqualTo(3);
  }

  @Test
  void another_status_fails_with_a_sentence_naming_both() throws Exception {
    Outcome outcome = run(get(base + "/down", Duration.ofSeconds(5), Set.of()));

    assertThat(outcome.status()).isEqualTo(Status.FAILED);
    assertThat(outcome.error()).isEqualTo("expected 200, got 503");
    assertThat(sink.system().get(0)).contains("-> 503 in");
    assertThat(sink.stdout()).containsExactly("maintenance");
  }

  @Test
  void method_headers_and_body_are_sent() throws Exception {
    Outcome outcome =
        run(
            new HttpSpec(
                "POST",
                URI.create(base + "/echo"),
                Map.of("X-Check", "yes"),
                "{\"v\": \"é\"}",
                201,
                Duration.ofSeconds(5),
                Set.of(),
                100,
                1000));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.stdout()).containsExactly("POST yes {\"v\": \"é\"}");
  }

  @Test
  void a_refused_connection_fails_with_the_reason() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }

    Outcome outcome = run(get("http://127.0.0.1:" + port + "/", Duration.ofSeconds(5), Set.of()));

    assertThat(outcome.status()).isEqualTo(Status.FAILED);
    assertThat(outcome.error())
        .startsWith("connection failed: cannot connect to 127.0.0.1:" + port);
    assertThat(sink.system())
        .containsExactly("GET http://127.0.0.1:" + port + "/ -> " + outcome.error());
  }

  @Test
  void an_unknown_host_is_named_in_the_reason() {
    var failure =
        new java.net.ConnectException() {
          {
            initCause(new java.nio.channels.UnresolvedAddressException());
          }
        };

    assertThat(HttpExecutor.reason(URI.create("http://no-such-host.invalid/x"), failure))
        .isEqualTo("connection failed: unknown host no-such-host.invalid");
  }

  @Test
  void a_slow_server_times_out() throws Exception {
    Outcome outcome = run(get(base + "/slow", Duration.ofMillis(300), Set.of()));

    assertThat(outcome.status()).isEqualTo(Status.TIMED_OUT);
    assertThat(outcome.error()).isEqualTo("timed out after 300 ms");
    assertThat(sink.system()).containsExactly("GET " + base + "/slow -> timed out after 300 ms");
  }

  @Test
  void cancel_aborts_the_call_and_marks_it_canceled() throws Exception {
    HttpCall call = executor.start(get(base + "/slow", null, Set.of()), sink);
    assertThat(slowCalled.await(5, TimeUnit.SECONDS)).isTrue();

    call.cancel();

    Outcome outcome = call.outcome().get(5, TimeUnit.SECONDS);
    assertThat(outcome.status()).isEqualTo(Status.CANCELED);
    assertThat(outcome.error()).isEqualTo("canceled");
    release.countDown();
    call.cancel();
    assertThat(call.outcome().get()).isEqualTo(outcome);
  }

  @Test
  void secrets_are_masked_in_the_url_and_the_body() throws Exception {
    server.createContext(
        "/secret", ex -> respond(ex, 200, "token is " + ex.getRequestURI().getQuery()));

    Outcome outcome =
        run(get(base + "/secret?t=hunter2xyz", Duration.ofSeconds(5), Set.of("hunter2xyz")));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.system().get(0)).startsWith("GET " + base + "/secret?t=****** -> 200 in ");
    assertThat(sink.stdout()).containsExactly("token is t=******");
    assertThat(sink.lines).noneSatisfy(l -> assertThat(l.text()).contains("hunter2"));
  }

  @Test
  void only_the_first_lines_of_a_long_body_are_logged() throws Exception {
    Outcome outcome = run(get(base + "/many", Duration.ofSeconds(5), Set.of()));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.stdout()).hasSize(HttpExecutor.MAX_BODY_LINES);
    assertThat(sink.stdout().get(99)).isEqualTo("line 100");
    assertThat(sink.system())
        .last()
        .isEqualTo("response body has more than 100 lines; the rest is not shown");
  }

  @Test
  void a_restricted_header_fails_the_call_without_sending_it() throws Exception {
    Outcome outcome =
        run(
            new HttpSpec(
                "GET",
                URI.create(base + "/ok"),
                Map.of("Host", "evil"),
                null,
                200,
                null,
                Set.of(),
                100,
                100));

    assertThat(outcome.status()).isEqualTo(Status.FAILED);
    assertThat(outcome.error()).startsWith("invalid request: ");
    assertThat(sink.system()).containsExactly("GET " + base + "/ok -> " + outcome.error());
  }
}
