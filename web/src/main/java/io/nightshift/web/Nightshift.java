package io.nightshift.web;

import io.nightshift.scheduler.auth.AdminToken;
import io.nightshift.scheduler.job.JobScheduler;
import io.nightshift.scheduler.node.NodeDrain;
import io.nightshift.scheduler.run.Engine;
import io.nightshift.scheduler.secrets.SecretsRepository;
import io.nightshift.scheduler.store.Database;
import io.nightshift.web.config.Config;
import io.nightshift.web.config.ConfigLoader;
import io.nightshift.web.http.OpenStreams;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: opens the store, builds the node's parts ({@link NodeParts}) and its HTTP
 * side ({@link ApiServer}) from the configuration, starts them, and stops them.
 */
public final class Nightshift implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Nightshift.class);

  private final Config config;
  private final Database database;
  private final NodeParts parts;
  private final ApiServer http;
  private final String adminTokenNotice;

  private NodeName nodeName;

  private Nightshift(
      Config config, Database database, NodeParts parts, ApiServer http, String adminTokenNotice) {
    this.config = config;
    this.database = database;
    this.parts = parts;
    this.http = http;
    this.adminTokenNotice = adminTokenNotice;
  }

  /**
   * Starts everything; blocks until the HTTP port is bound. Call from a non-Vert.x thread. Without
   * a configured {@code node}, the node is named {@code <host>-<id>} with an id kept in the data
   * directory ({@link NodeName}).
   */
  public static Nightshift start(Config config, Clock clock) {
    ListenAddress.of(config.http()).ensureFree();
    if (config.node() != null) {
      return startNamed(config, clock);
    }
    DataDir.secure(config.dataDir());
    NodeName name = NodeName.claim(config.dataDir(), ConfigLoader.host());
    try {
      Nightshift nightshift = startNamed(config.withNode(name.name()), clock);
      nightshift.nodeName = name;
      return nightshift;
    } catch (RuntimeException e) {
      name.close();
      throw e;
    }
  }

  private static Nightshift startNamed(Config config, Clock clock) {
    DataDir.secure(config.dataDir());
    SecretKeys secretKeys =
        SecretKeys.resolve(config.secrets(), config.dataDir(), config.db().embedded());
    Database database;
    try {
      database = Database.open(config.db());
    } catch (RuntimeException e) {
      throw StartupFailure.openingStore(config.db().url(), e);
    }
    secretKeys.cipher().attach(database.dsl());
    DataDir.secure(config.dataDir());
    NodeParts parts = null;
    try {
      SecretsRepository storedSecrets = new SecretsRepository(database.dsl());
      secretKeys.check(storedSecrets);
      parts = NodeParts.start(config, clock, database);
      ApiServer http = ApiServer.listen(config, parts.time(), database, parts);
      secretKeys.persist();
      log.info("{}", secretKeys.describe());
      secretKeys.resealInBackground(storedSecrets);
      // Written only once the node can serve: a start-up that fails leaves no token file.
      String notice =
          AdminToken.ensure(
              parts.tokens(),
              config.auth().adminToken(),
              config.dataDir(),
              config.db().url(),
              clock);
      log.info(
          "nightshift node {} listening on http://{}:{} (store: {}, log bus: {})",
          config.node(),
          config.http().host(),
          http.server().actualPort(),
          database.embedded() ? "embedded H2" : "MySQL",
          config.redis().enabled() ? "Redis" : "in-process");
      return new Nightshift(config, database, parts, http, notice);
    } catch (Exception e) {
      // Exception, not RuntimeException: Future.await() rethrows a checked BindException as is.
      if (parts != null) {
        parts.closeAfterFailedStart();
      }
      database.close();
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
    }
  }

  /**
   * Every route with a method, as {@code "GET /api/v1/runs/{id}"}, to compare with the OpenAPI
   * document.
   */
  List<String> routes() {
    return http.routes();
  }

  public int port() {
    return http.server().actualPort();
  }

  public String adminTokenNotice() {
    return adminTokenNotice;
  }

  public Engine engine() {
    return parts.engine();
  }

  public JobScheduler jobScheduler() {
    return parts.jobScheduler();
  }

  /** The live log streams open on this node. */
  public OpenStreams streams() {
    return http.streams();
  }

  public LogPipeline logs() {
    return parts.logs();
  }

  /** This node's reading of the database server's clock (MySQL/MariaDB only). */
  public java.util.Optional<io.nightshift.scheduler.node.ClockWatch> clockWatch() {
    return java.util.Optional.ofNullable(parts.metrics().clockWatch());
  }

  public Database database() {
    return database;
  }

  public Config config() {
    return config;
  }

  /**
   * Stops taking new work and waits until the steps executing here finished, or were stopped after
   * {@code shutdown.graceSeconds} (SIGTERM calls this before {@link #close}).
   */
  public void drain() {
    parts.drain().drainAndWait();
  }

  /** This node's drain (its state, or to begin one). */
  public NodeDrain draining() {
    return parts.drain();
  }

  /** Stops taking requests, lets the ones in flight finish, then closes the pools. */
  @Override
  public void close() {
    log.info("nightshift node {} stopping", config.node());
    try {
      http.server().shutdown().await();
    } catch (RuntimeException e) {
      log.warn("http server did not shut down cleanly", e);
    }
    parts.close();
    database.close();
    if (nodeName != null) {
      nodeName.close();
    }
    log.info("nightshift node {} stopped", config.node());
  }
}
