package io.nightshift.scheduler.logs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/**
 * The shared test Redis ({@code NIGHTSHIFT_TEST_REDIS_URL}, default 127.0.0.1:6379) and keys of our
 * own on it. Tests that need Redis fail when it does not answer: they never skip.
 */
final class TestRedis {
  static final String HOST = "127.0.0.1";
  static final int PORT = Integer.parseInt(env("NIGHTSHIFT_TEST_REDIS_PORT", "6379"));

  private TestRedis() {}

  static String url() {
    return "redis://" + HOST + ":" + PORT;
  }

  /** Key prefix no other test or engineer uses: {@code nightshift-test-<random>}. */
  static String uniquePrefix() {
    return "nightshift-test-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** Settings with keys of our own and quick retries, for a test. */
  static LogSettings settings(String node) {
    return LogSettings.defaults(node)
        .withKeyPrefix(uniquePrefix())
        .withTimings(Duration.ofMillis(200), Duration.ofSeconds(30), Duration.ofMillis(200))
        .withCloseTimeout(Duration.ofSeconds(2));
  }

  /** PING over a plain socket; throws with the reason when Redis does not answer PONG. */
  static void requireUp(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(HOST, port), 1000);
      socket.setSoTimeout(1000);
      OutputStream out = socket.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[7];
      int n = in.readNBytes(buf, 0, 7);
      String reply = new String(buf, 0, n, StandardCharsets.US_ASCII);
      if (!reply.startsWith("+PONG")) {
        throw new IllegalStateException("redis at " + HOST + ":" + port + " answered " + reply);
      }
    } catch (IOException e) {
      throw new IllegalStateException("redis at " + HOST + ":" + port + " is unreachable: " + e, e);
    }
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
