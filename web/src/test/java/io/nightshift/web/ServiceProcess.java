package io.nightshift.web;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.web.config.Config;
import io.nightshift.web.config.ConfigException;
import io.nightshift.web.config.ConfigLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/** Nightshift as a separate JVM, as an operator runs it: so a test can kill it for real. */
public final class ServiceProcess implements AutoCloseable {
  private final Path dir;
  private final Path config;
  private final Map<String, String> env;
  private Process process;
  private int starts;

  public ServiceProcess(Path dir, String yaml, Map<String, String> env) {
    this.dir = dir;
    this.config = dir.resolve("nightshift.yaml");
    this.env = Map.copyOf(env);
    try {
      Files.writeString(config, yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path log() {
    return dir.resolve("service-" + starts + ".log");
  }

  /** Starts the JVM and waits until it prints that it is ready. */
  public void start() {
    starts++;
    deleteWorkRootAtExit();
    List<String> command =
        NodeJvm.command(List.of("-Duser.timezone=Asia/Shanghai"), "--config", config.toString());
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log().toFile());
    builder.environment().putAll(env);
    // A MySQL store needs its secrets key given (nodes of one store share it).
    builder.environment().putIfAbsent("NIGHTSHIFT_SECRETS_KEY", TestServer.SECRETS_KEY);
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Awaitility.await()
        .atMost(90, TimeUnit.SECONDS)
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException("service exited: " + output());
              }
              return output().contains("nightshift: ready on");
            });
  }

  /**
   * The service removes its default work directory root and its cgroup folder itself at a clean
   * stop, but not when it is killed: the test JVM deletes them when it exits (a test may restart
   * the service on them until then). A node without a configured name is named at start, so they
   * are not known here.
   */
  private void deleteWorkRootAtExit() {
    Map<String, String> environment = new java.util.HashMap<>(System.getenv());
    environment.putAll(env);
    Config loaded;
    try {
      loaded = ConfigLoader.load(config, environment);
    } catch (ConfigException e) {
      return; // the service refuses it too: it makes no root
    }
    if (loaded.node() == null) {
      return;
    }
    // The service resolves a relative dataDir against its working directory, this folder.
    Config served = loaded.withDataDir(dir.resolve(loaded.dataDir()));
    NodeCgroups.removeAtExit(served.localName());
    if (loaded.executor().workDir() == null) {
      TempFolders.deleteAtExit(served.executor().workDirOf(served.localName()));
    }
  }

  /** SIGTERM, without waiting for the exit ({@link #close} waits). */
  public void terminate() {
    process.destroy();
  }

  /** SIGKILL: no shutdown hook, nothing cleaned up. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public String output() {
    try {
      return Files.readString(log(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
