package io.nightshift.web;

import io.nightshift.scheduler.store.JdbcUrls;
import io.nightshift.web.cli.Cli;
import io.nightshift.web.config.Config;
import io.nightshift.web.config.ConfigException;
import io.nightshift.web.config.ConfigLoader;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code java -jar nightshift.jar [serve] [--config FILE]} starts the server; {@code java -jar
 * nightshift.jar COMMAND ...} is the command-line client ({@link Cli}).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws InterruptedException {
    if (args.length > 0 && !args[0].equals("serve") && !args[0].startsWith("--config")) {
      Cli.main(args);
      return;
    }
    serve(
        args.length > 0 && args[0].equals("serve")
            ? java.util.Arrays.copyOfRange(args, 1, args.length)
            : args);
  }

  private static void serve(String[] args) throws InterruptedException {
    Config config;
    try {
      Path file = configFile(args);
      if (file == null) {
        System.out.println(
            "nightshift: no "
                + ConfigLoader.defaultFile(System.getenv())
                + " here: built-in defaults; see README \"Configuration\"");
        config = ConfigLoader.defaults(System.getenv());
      } else {
        config = ConfigLoader.load(file, System.getenv());
      }
    } catch (ConfigException e) {
      System.err.println("nightshift: configuration error: " + e.getMessage());
      System.exit(2);
      return;
    }
    // The hook is in place before anything starts, so a SIGTERM during start-up also stops cleanly.
    AtomicReference<Nightshift> running = new AtomicReference<>();
    CountDownLatch stopped = new CountDownLatch(1);
    Runnable stop =
        () -> {
          Nightshift nightshift = running.getAndSet(null);
          if (nightshift != null) {
            // Running steps get shutdown.graceSeconds to finish; see NodeDrain.
            nightshift.drain();
            nightshift.close();
            System.out.println("nightshift: stopped");
          }
          stopped.countDown();
        };
    Runtime.getRuntime().addShutdownHook(new Thread(stop, "nightshift-shutdown"));
    StopSignals.handle(stop);
    Nightshift nightshift;
    try {
      nightshift = Nightshift.start(config, Clock.systemUTC());
    } catch (StartupFailure e) {
      System.err.println("nightshift: " + withoutSecrets(e.getMessage(), config));
      org.slf4j.LoggerFactory.getLogger(Main.class).debug("start-up failure", e);
      System.exit(1);
      return;
    } catch (Exception e) {
      // Exception: a checked one may be rethrown as is by Vert.x; an uncaught one would leave the
      // JVM alive on its non-daemon threads.
      System.err.println("nightshift: cannot start: " + withoutSecrets(rootMessage(e), config));
      org.slf4j.LoggerFactory.getLogger(Main.class).debug("start-up failure", e);
      System.exit(1);
      return;
    }
    running.set(nightshift);
    System.out.println(nightshift.adminTokenNotice());
    System.out.println(
        "nightshift: ready on http://"
            + config.http().host()
            + ":"
            + nightshift.port()
            + "  (GET /health, /ready, /metrics; API under /api/v1)");
    stopped.await();
  }

  /**
   * The config file: {@code --config FILE}, else {@code NIGHTSHIFT_CONFIG}, else {@link
   * ConfigLoader#defaultFile} when it exists; null when none is named and there is no default file
   * (the built-in defaults). A file named but missing is an error when it is read.
   */
  static Path configFile(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config")) {
        if (i + 1 >= args.length) {
          System.err.println("nightshift: --config needs a file name");
          System.exit(2);
        }
        return Path.of(args[i + 1]);
      }
      if (args[i].startsWith("--config=")) {
        return Path.of(args[i].substring("--config=".length()));
      }
    }
    String fromEnv = System.getenv("NIGHTSHIFT_CONFIG");
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv);
    }
    // Not named: the default file if there is one, else (null) the built-in defaults.
    Path fallback = ConfigLoader.defaultFile(System.getenv());
    return java.nio.file.Files.exists(fallback) ? fallback : null;
  }

  /** A start-up error never shows the database password, in a quoted URL or on its own. */
  /**
   * A start-up message with every configured secret masked: the JDBC URL's password, the database
   * password, a Redis URL's password, the admin token and the secrets keys.
   */
  static String withoutSecrets(String message, Config config) {
    String out = JdbcUrls.masked(String.valueOf(message));
    out = out.replaceAll("(rediss?://)[^@/\\s]*@", "$1******@");
    java.util.List<String> secrets = new java.util.ArrayList<>();
    secrets.add(config.db().password());
    secrets.add(config.auth().adminToken());
    secrets.add(config.secrets().key());
    secrets.addAll(config.secrets().oldKeys());
    for (String secret : secrets) {
      if (secret != null && !secret.isBlank()) {
        out = out.replace(secret.trim(), "******");
      }
    }
    return out;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
      out.append(": ").append(t.getMessage());
    }
    return out.toString().replace('\n', ' ');
  }
}
