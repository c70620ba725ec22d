package io.nightshift.web.config;

import io.nightshift.scheduler.store.DatabaseSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The whole configuration, read by {@link ConfigLoader}. Code that builds one by hand (tests, the
 * benchmark) starts from {@link #of} and changes a section with a {@code with...} method, so that
 * adding a section or a setting does not touch every caller.
 */
public record Config(
    String node,
    Path dataDir,
    Http http,
    DatabaseSettings db,
    Redis redis,
    Auth auth,
    Runs runs,
    Logs logs,
    Cluster cluster,
    Executor executor,
    Secrets secrets,
    Shutdown shutdown) {

  /** A configuration with these sections and every other section at its defaults. */
  public static Config of(
      String node,
      Path dataDir,
      Http http,
      DatabaseSettings db,
      Redis redis,
      Auth auth,
      Runs runs,
      Logs logs) {
    return new Config(
        node,
        dataDir,
        http,
        db,
        redis,
        auth,
        runs,
        logs,
        Cluster.defaults(),
        Executor.defaults(),
        Secrets.defaults(),
        Shutdown.defaults());
  }

  /**
   * This node's name on this host: {@link #node} plus a digest of the data directory's absolute
   * path. It names the node's folders that live outside the data directory (the work directory root
   * under the temp dir, the cgroup folder), so that two installations whose nodes share a name but
   * not a data directory (staging and production on one host, two test clusters) never share them:
   * one's restart killing "its" leftover steps must not kill the other's. A restart on the same
   * data directory finds the same folders.
   */
  public String localName() {
    return localName(node, dataDir);
  }

  /**
   * Where this node keeps the ends of steps it could not record while the database was unreachable,
   * until they are (its own folder of the data directory: nodes sharing one have their own names).
   */
  public Path stepEndsDir() {
    // Encoded, so that no two names share a folder and none leaves step-ends ("..").
    return dataDir
        .resolve("step-ends")
        .resolve("node-" + java.net.URLEncoder.encode(node, StandardCharsets.UTF_8));
  }

  /** {@link #localName()} of node {@code node} on data directory {@code dataDir}. */
  public static String localName(String node, Path dataDir) {
    String path = dataDir.toAbsolutePath().normalize().toString();
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(path.getBytes(StandardCharsets.UTF_8));
      return node + "-" + HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  public Config withNode(String node) {
    return new Config(
        node, dataDir, http, db, redis, auth, runs, logs, cluster, executor, secrets, shutdown);
  }

  public Config withDataDir(Path dataDir) {
    return new Config(
        node, dataDir, http, db, redis, auth, runs, logs, cluster, executor, secrets, shutdown);
  }

  public Config withHttp(Http http) {
    return new Config(
        node, dataDir, http, db, redis, auth, runs, logs, cluster, executor, secrets, shutdown);
  }

  public Config withDb(DatabaseSettings db) {
    return new Config(
        node, dataDir, http, db, redis, auth, runs, logs, cluster, executor, secrets, shutdown);
  }

  public Config withRedis(Redis redis) {
    return new Config(
        node, dataDir, http, db, redis, auth, runs, logs, cluster, executor, secrets, shutdown);
  }

  public Config withAuth(Auth auth) {
    return new Config(
        node, dataDir, http, db, redis, auth, runs, logs, cluster, executor, secrets, shutdown);
  }

  public Config withRuns(Runs runs) {
    return new Config(
        node, dataDir, http, db, redis, auth, runs, logs, cluster, executor, secrets, shutdown);
  }

  public Config withLogs(Logs logs) {
    return new Config(
        node, dataDir, http, db, redis, auth, runs, logs, cluster, executor, secrets, shutdown);
  }

  public Config withCluster(Cluster cluster) {
    return new Config(
        node, dataDir, http, db, redis, auth, runs, logs, cluster, executor, secrets, shutdown);
  }

  public Config withExecutor(Executor executor) {
    return new Config(
        node, dataDir, http, db, redis, auth, runs, logs, cluster, executor, secrets, shutdown);
  }

  public Config withSecrets(Secrets secrets) {
    return new Config(
        node, dataDir, http, db, redis, auth, runs, logs, cluster, executor, secrets, shutdown);
  }

  public Config withShutdown(Shutdown shutdown) {
    return new Config(
        node, dataDir, http, db, redis, auth, runs, logs, cluster, executor, secrets, shutdown);
  }

  /**
   * Where the API listens and what a client may hold of it: body size, how long a request head and
   * body may take to arrive, how long a connection may stay silent, how many connections are open,
   * and for live log streams the bytes one slow client (and all of them) may leave waiting in
   * memory and how many streams one token may hold. {@code publicUrl} (null: none) is the address
   * people and programs reach the API at, such as {@code https://nightshift.example}; webhook
   * payloads then carry absolute links.
   */
  public record Http(
      String host,
      int port,
      int maxBodyBytes,
      String publicUrl,
      int headerTimeoutSeconds,
      int bodyTimeoutSeconds,
      int idleTimeoutSeconds,
      int maxConnections,
      int streamClientBytes,
      long streamTotalBytes,
      int streamsPerToken) {
    /** These basics and every limit at its default. */
    public Http(String host, int port, int maxBodyBytes) {
      this(host, port, maxBodyBytes, null, 10, 30, 300, 1000, 1024 * 1024, 64L * 1024 * 1024, 20);
    }

    public Http withPublicUrl(String publicUrl) {
      return new Http(
          host,
          port,
          maxBodyBytes,
          publicUrl,
          headerTimeoutSeconds,
          bodyTimeoutSeconds,
          idleTimeoutSeconds,
          maxConnections,
          streamClientBytes,
          streamTotalBytes,
          streamsPerToken);
    }

    public Http withTimeouts(
        int headerTimeoutSeconds, int bodyTimeoutSeconds, int idleTimeoutSeconds) {
      return new Http(
          host,
          port,
          maxBodyBytes,
          publicUrl,
          headerTimeoutSeconds,
          bodyTimeoutSeconds,
          idleTimeoutSeconds,
          maxConnections,
          streamClientBytes,
          streamTotalBytes,
          streamsPerToken);
    }

    public Http withMaxConnections(int maxConnections) {
      return new Http(
          host,
          port,
          maxBodyBytes,
          publicUrl,
          headerTimeoutSeconds,
          bodyTimeoutSeconds,
          idleTimeoutSeconds,
          maxConnections,
          streamClientBytes,
          streamTotalBytes,
          streamsPerToken);
    }

    public Http withStreams(int streamClientBytes, long streamTotalBytes, int streamsPerToken) {
      return new Http(
          host,
          port,
          maxBodyBytes,
          publicUrl,
          headerTimeoutSeconds,
          bodyTimeoutSeconds,
          idleTimeoutSeconds,
          maxConnections,
          streamClientBytes,
          streamTotalBytes,
          streamsPerToken);
    }
  }

  /** Redis for the log bus and events; {@code url} null means the in-process bus. */
  public record Redis(String url) {
    public boolean enabled() {
      return url != null;
    }
  }

  /** The admin token given by the operator (null: generate one at first start). */
  public record Auth(String adminToken, boolean allowSelfApproval) {}

  /**
   * Limits of step execution, and how long ended runs are kept.
   *
   * @param retentionDays runs that ended longer ago are deleted, except each job's newest ones
   *     ({@link io.nightshift.scheduler.run.RunRetention}); 0 keeps every run
   */
  public record Runs(
      int defaultTimeoutSeconds,
      long maxLinesPerStep,
      int maxLineLength,
      int killGraceSeconds,
      int retentionDays) {
    public static final int DEFAULT_RETENTION_DAYS = 365;

    public Runs(
        int defaultTimeoutSeconds, long maxLinesPerStep, int maxLineLength, int killGraceSeconds) {
      this(
          defaultTimeoutSeconds,
          maxLinesPerStep,
          maxLineLength,
          killGraceSeconds,
          DEFAULT_RETENTION_DAYS);
    }
  }

  /**
   * The log pipeline (lines held in memory while Redis is unreachable, before steps block) and how
   * long stored history is kept.
   *
   * @param retentionDays stored log lines older than this are deleted
   * @param readyTimeoutMillis how long /ready waits for a read of the log table before it answers
   *     503 naming the log store
   * @param fireRetentionDays job fire records (the cron log) scheduled longer ago are deleted,
   *     except each job's newest ones ({@link io.nightshift.scheduler.job.FireRetention})
   */
  public record Logs(
      int bufferLines, int retentionDays, int readyTimeoutMillis, int fireRetentionDays) {
    public static final int DEFAULT_FIRE_RETENTION_DAYS = 90;

    public Logs(int bufferLines, int retentionDays) {
      this(bufferLines, retentionDays, 2_000, DEFAULT_FIRE_RETENTION_DAYS);
    }
  }

  /**
   * Several nodes on one store: leases of running attempts and the sweeps that act on them.
   *
   * @param stallGraceSeconds how long nothing must have happened to a run before a sweep (of any
   *     node) moves it on as stalled; until then the node moving it on owns its next moves
   */
  public record Cluster(
      int leaseRenewSeconds,
      int leaseExpirySeconds,
      int sweepSeconds,
      int cancelPollMillis,
      int stallGraceSeconds) {
    /** With the default stall grace: three sweep periods. */
    public Cluster(
        int leaseRenewSeconds, int leaseExpirySeconds, int sweepSeconds, int cancelPollMillis) {
      this(leaseRenewSeconds, leaseExpirySeconds, sweepSeconds, cancelPollMillis, 3 * sweepSeconds);
    }

    /**
     * Renew every 10 s for 30 s, sweep every 5 s: a lost step is taken over within 35 s; a stalled
     * run is moved on after 15 s.
     */
    public static Cluster defaults() {
      return new Cluster(10, 30, 5, 500);
    }
  }

  /**
   * What a step's process sees and where it runs.
   *
   * @param passEnv names of the service's environment variables a step inherits besides PATH, HOME,
   *     LANG and TZ
   * @param workDir root of the runs' work directories; null: {@code nightshift-<local name>} (see
   *     {@link Config#localName()}) under the system temp dir. Never inside {@code dataDir}.
   * @param keepWorkDirs keep a run's work directory after the run ends (for debugging)
   */
  public record Executor(List<String> passEnv, Path workDir, boolean keepWorkDirs) {
    public Executor {
      passEnv = List.copyOf(passEnv);
    }

    public static Executor defaults() {
      return new Executor(List.of(), null, false);
    }

    /**
     * The work directory root of the node whose {@link Config#localName()} is {@code localName}.
     */
    public Path workDirOf(String localName) {
      if (workDir != null) {
        return workDir.toAbsolutePath().normalize();
      }
      String safe = localName.replaceAll("[^A-Za-z0-9._-]", "_");
      return Path.of(System.getProperty("java.io.tmpdir"), "nightshift-" + safe)
          .toAbsolutePath()
          .normalize();
    }
  }

  /**
   * How secret values are kept at rest: encrypted with {@code key} (base64 of 32 bytes; null: read
   * from {@code keyFile}, default {@code secrets.key} in dataDir, generated there at first start on
   * the embedded store). {@code oldKeys} (base64) only decrypt: values sealed before a rotation.
   */
  public record Secrets(String key, Path keyFile, List<String> oldKeys) {
    public Secrets {
      oldKeys = oldKeys == null ? List.of() : List.copyOf(oldKeys);
    }

    public static Secrets defaults() {
      return new Secrets(null, null, List.of());
    }
  }

  /**
   * What a node does when it is asked to stop (SIGTERM) or drained: steps still executing get
   * {@code graceSeconds} to finish, then they are stopped and their attempts fail ("node drained").
   */
  public record Shutdown(int graceSeconds) {
    public static Shutdown defaults() {
      return new Shutdown(60);
    }
  }
}
