package io.nightshift.web.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.ApiContract;
import io.nightshift.web.TestServer;
import io.nightshift.web.config.Config;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Slowloris: clients that send a request head or body slowly, or nothing, cannot hold connections
 * past the configured timeouts, and connections past {@code http.maxConnections} are closed at
 * once, while normal requests keep being answered.
 */
class SlowClientsTest {
  private TestServer server;
  private final List<Socket> sockets = new ArrayList<>();

  private void start(int headerSeconds, int bodySeconds, int idleSeconds, int maxConnections)
      throws IOException {
    Path dataDir = TempFolders.create("nightshift-slowloris-");
    Config config = TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null);
    server =
        TestServer.start(
            config.withHttp(
                config
                    .http()
                    .withTimeouts(headerSeconds, bodySeconds, idleSeconds)
                    .withMaxConnections(maxConnections)));
  }

  @AfterEach
  void stop() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void half_sent_heads_and_bodies_are_closed_after_their_timeouts_while_others_are_answered()
      throws Exception {
    start(1, 2, 60, 200);
    List<Socket> heads = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      // Variants: nothing after the request line, some headers, a header cut in the middle.
      String partial =
          switch (i % 3) {
            case 0 -> "GET /health HTTP/1.1\r\n";
            case 1 -> "GET /api/v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\n";
            default -> "POST /api/v1/templates HTTP/1.1\r\nHost: x\r\nX-Slow: aaaa";
          };
      heads.add(send(partial));
    }
    List<Socket> bodies = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      bodies.add(
          send(
              "POST /api/v1/templates HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Authorization: Bearer "
                  + TestServer.ADMIN_TOKEN
                  + "\r\nContent-Length: 200\r\n\r\n{\"name\": \"sl"));
    }
    Socket silent = send("");
    long started = System.nanoTime();

    // A normal request is answered meanwhile.
    assertThat(server.get("/health", null).status()).isEqualTo(200);

    for (Socket s : heads) {
      assertThat(readUntilClosed(s, 15)).as("a half-sent head gets no answer").isEmpty();
    }
    assertThat(readUntilClosed(silent, 15)).isEmpty();
    for (Socket s : bodies) {
      String answer = readUntilClosed(s, 15);
      assertThat(answer)
          .startsWith("HTTP/1.1 408")
          .contains("\"code\":\"request_timeout\"")
          .contains("http.bodyTimeoutSeconds");
      ApiContract.get()
          .check(
              "POST",
              "/api/v1/templates",
              408,
              "application/json",
              answer.substring(answer.indexOf("\r\n\r\n") + 4));
    }
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
        .as("closed by the timeout, not at once")
        .isGreaterThanOrEqualTo(900);
    assertThat(server.get("/health", null).status()).isEqualTo(200);
  }

  @Test
  void a_kept_alive_connection_must_send_its_next_head_in_time_too() throws Exception {
    start(1, 2, 60, 200);
    Socket s = send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    String first = readAnswer(s);
    assertThat(first).startsWith("HTTP/1.1 200").contains("\"up\"");
    // The next request on the connection starts but never ends its head.
    s.getOutputStream().write("GET /health HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
    assertThat(readUntilClosed(s, 15)).isEmpty();
  }

  @Test
  void a_connection_that_stays_silent_is_closed_after_the_idle_timeout() throws Exception {
    start(30, 30, 1, 200);
    Socket answered = send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(readAnswer(answered)).startsWith("HTTP/1.1 200");
    Socket silent = send("");
    long started = System.nanoTime();
    assertThat(readUntilClosed(answered, 15)).isEmpty();
    assertThat(readUntilClosed(silent, 15)).isEmpty();
    assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started))
        .as("closed by the idle timeout (1 s), long before the head timeout (30 s)")
        .isLessThan(20);
  }

  @Test
  void connections_past_the_cap_are_closed_at_once_and_accepted_again_when_one_ends()
      throws Exception {
    start(60, 60, 120, 5);
    List<Socket> held = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Socket s = send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(readAnswer(s)).as("connection " + (i + 1)).startsWith("HTTP/1.1 200");
      held.add(s);
    }
    Socket extra = send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    long started = System.nanoTime();
    assertThat(readUntilClosed(extra, 15)).as("the connection past the cap").isEmpty();
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isLessThan(5_000);

    held.get(0).close();
    Awaitility.await()
        .atMost(15, TimeUnit.SECONDS)
        .untilAsserted(
            () -> {
              Socket again = send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
              assertThat(readAnswer(again)).startsWith("HTTP/1.1 200");
              again.close();
            });
  }

  private Socket send(String text) throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5_000);
    if (!text.isEmpty()) {
      s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
    }
    return s;
  }

  /** Everything the server sends until it closes the connection; fails if it stays open. */
  private static String readUntilClosed(Socket s, int seconds) throws IOException {
    s.setSoTimeout(seconds * 1000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InputStream in = s.getInputStream();
    byte[] buffer = new byte[4096];
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        out.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "the server kept the connection open for " + seconds + " s; it sent: " + out, e);
    } catch (SocketException e) {
      // reset by the server: closed as well
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** One answer with a Content-Length body, leaving the connection open. */
  private static String readAnswer(Socket s) throws IOException {
    s.setSoTimeout(15_000);
    InputStream in = s.getInputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (!out.toString(StandardCharsets.US_ASCII).contains("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        return out.toString(StandardCharsets.UTF_8);
      }
      out.write(b);
    }
    String head = out.toString(StandardCharsets.US_ASCII);
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(?i)content-length:\\s*(\\d+)").matcher(head);
    int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
    out.write(in.readNBytes(length));
    return out.toString(StandardCharsets.UTF_8);
  }
}
