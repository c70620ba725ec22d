package io.nightshift.web.recovery;

import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.RedisProcess;
import io.nightshift.web.ServiceProcess;
import io.nightshift.web.TestServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Node {@code crash-a} as a separate JVM on a clean MariaDB and a private Redis, with short leases,
 * holding the {@link WorkInFlight} (its webhooks pointing at a {@link WebhookReceiver}) until the
 * test kills it.
 */
final class DoomedNode implements AutoCloseable {
  static final String NAME = "crash-a";

  final DatabaseSettings db = TestDatabases.cleanMysql();
  final RedisProcess redis = RedisProcess.start();
  final WebhookReceiver receiver = WebhookReceiver.start();
  final ServiceProcess process;
  final NodeApi api;
  WorkInFlight work;

  private DoomedNode(Path dir) throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String yaml =
        String.format(
            "node: %s%ndataDir: data%nhttp:%n  port: %d%ndb:%n  url: \"%s\"%n  user: \"%s\"%n"
                + "  password: \"%s\"%nredis:%n  url: \"%s\"%ncluster:%n  leaseRenewSeconds: %d%n"
                + "  leaseExpirySeconds: %d%n  sweepSeconds: %d%n",
            NAME,
            port,
            db.url(),
            db.user(),
            db.password(),
            redis.url(),
            CrashWithWorkInFlightTest.SHORT_LEASES.leaseRenewSeconds(),
            CrashWithWorkInFlightTest.SHORT_LEASES.leaseExpirySeconds(),
            CrashWithWorkInFlightTest.SHORT_LEASES.sweepSeconds());
    process =
        new ServiceProcess(
            Files.createDirectories(dir.resolve(NAME)),
            yaml,
            Map.of("NIGHTSHIFT_ADMIN_TOKEN", TestServer.ADMIN_TOKEN));
    api = new NodeApi(port, TestServer.ADMIN_TOKEN);
  }

  /** Starts the node and gives it its work; returns once it holds all of it. */
  static DoomedNode holding(Path dir) throws IOException {
    DoomedNode node = new DoomedNode(dir);
    try {
      long begin = System.nanoTime();
      node.process.start();
      System.out.printf("%s: ready in %d ms%n", NAME, since(begin));
      node.work = WorkInFlight.start(node.api, node.receiver, dir.resolve("first-attempts.pids"));
      System.out.printf(
          "%s: %d runs started in %d ms%n", NAME, node.work.all().size(), since(begin));
      node.work.awaitHeld(node.api);
      System.out.printf("%s: holds them all after %d ms%n", NAME, since(begin));
      return node;
    } catch (IOException | RuntimeException | Error e) {
      // A node that never got its work must not outlive the test (it would keep relaying and
      // sweeping in the test database under later tests).
      node.close();
      throw e;
    }
  }

  /** kill -9, then the receiver answers again; the time of the kill ({@link System#nanoTime}). */
  long kill() {
    long killed = System.nanoTime();
    process.kill();
    receiver.release();
    return killed;
  }

  static long since(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  @Override
  public void close() throws IOException {
    try {
      process.close();
      if (work != null) {
        for (long pid : work.leftovers()) {
          ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
    } finally {
      receiver.close();
      redis.close();
    }
  }
}
