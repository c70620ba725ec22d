package io.nightshift.scheduler.logs;

import static org.awaitility.Awaitility.await;

import io.nightshift.scheduler.TempFolders;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A private {@code redis-server} on a free loopback port, started as a child process so a test can
 * kill and restart it. With {@code aof} it keeps an append-only file (fsync always) in a temporary
 * folder, as production must; without, a restart loses everything.
 */
final class RedisServerProcess implements AutoCloseable {
  private final int port;
  private final boolean aof;
  private final Path dir;
  private Process process;

  RedisServerProcess(boolean aof) throws IOException {
    this.port = freePort();
    this.aof = aof;
    this.dir = TempFolders.create("nightshift-redis-");
  }

  int port() {
    return port;
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  RedisServerProcess start() throws IOException {
    List<String> command = new ArrayList<>();
    command.addAll(List.of("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1"));
    command.addAll(List.of("--save", "", "--dir", dir.toString()));
    if (aof) {
      command.addAll(List.of("--appendonly", "yes", "--appendfsync", "always"));
    } else {
      command.addAll(List.of("--appendonly", "no"));
    }
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis.log").toFile())
            .start();
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .ignoreExceptions()
        .untilAsserted(() -> TestRedis.requireUp(port));
    return this;
  }

  /** SIGKILL: no shutdown save, no goodbye to clients. */
  void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor();
      process = null;
    }
  }

  /** Kills the server and deletes its folder (the append-only file, the log). */
  @Override
  public void close() throws InterruptedException {
    kill();
    TempFolders.delete(dir);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
