package io.nightshift.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/** A private redis-server on a free loopback port, so a test can stop and restart it. */
public final class RedisProcess implements AutoCloseable {
  private final int port;
  private final java.nio.file.Path dataDir;
  private Process process;

  private RedisProcess(int port, java.nio.file.Path dataDir) {
    this.port = port;
    this.dataDir = dataDir;
  }

  /** No persistence: a restart starts empty. */
  public static RedisProcess start() {
    RedisProcess redis = new RedisProcess(freePort(), null);
    redis.restart();
    return redis;
  }

  /** AOF with fsync on every write, as production should run: a restart keeps the data. */
  public static RedisProcess startDurable(java.nio.file.Path dataDir) {
    RedisProcess redis = new RedisProcess(freePort(), dataDir);
    redis.restart();
    return redis;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public void restart() {
    try {
      java.util.List<String> command =
          new java.util.ArrayList<>(
              java.util.List.of(
                  "redis-server",
                  "--port",
                  String.valueOf(port),
                  "--bind",
                  "127.0.0.1",
                  "--save",
                  ""));
      if (dataDir == null) {
        command.addAll(java.util.List.of("--appendonly", "no"));
      } else {
        command.addAll(
            java.util.List.of(
                "--appendonly", "yes", "--appendfsync", "always", "--dir", dataDir.toString()));
      }
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("redis-server must be installed for this test", e);
    }
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(this::accepting);
  }

  public void stop() {
    process.destroy();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> !accepting());
  }

  private boolean accepting() {
    try (Socket ignored = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
