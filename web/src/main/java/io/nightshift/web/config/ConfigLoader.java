package io.nightshift.web.config;

import io.nightshift.executor.StepEnvironment;
import io.nightshift.scheduler.store.DatabaseSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the YAML configuration, applies environment overrides and checks every key. Any problem is
 * a {@link ConfigException} whose message names the key.
 */
public final class ConfigLoader {
  public static final Path DEFAULT_FILE = Path.of("conf", "nightshift.yaml");

  /** Environment variables that override one key each. */
  static final Map<String, String> ENV_KEYS =
      Map.of(
          "NIGHTSHIFT_DB_URL", "db.url",
          "NIGHTSHIFT_DB_USER", "db.user",
          "NIGHTSHIFT_DB_PASSWORD", "db.password",
          "NIGHTSHIFT_REDIS_URL", "redis.url",
          "NIGHTSHIFT_HTTP_PORT", "http.port",
          "NIGHTSHIFT_HTTP_HOST", "http.host",
          "NIGHTSHIFT_ADMIN_TOKEN", "auth.adminToken",
          "NIGHTSHIFT_DATA_DIR", "dataDir",
          "NIGHTSHIFT_NODE", "node");

  /** Environment variables of the {@code secrets} section (apart: Map.of takes ten pairs). */
  static final Map<String, String> SECRET_ENV_KEYS =
      Map.of(
          "NIGHTSHIFT_SECRETS_KEY", "secrets.key",
          "NIGHTSHIFT_SECRETS_KEY_FILE", "secrets.keyFile",
          "NIGHTSHIFT_SECRETS_OLD_KEYS", "secrets.oldKeys");

  private ConfigLoader() {}

  /**
   * The embedded store in {@code dataDir}: what {@code db.url} is when neither the file nor the
   * environment sets it (the H2 options the store needs are added when the database is opened).
   */
  static final String DEFAULT_DB_URL = "jdbc:h2:file:${dataDir}/nightshift";

  /** Loads {@code file} and overrides it with {@code env}. */
  public static Config load(Path file, Map<String, String> env) {
    return load(file, ConfigFile.read(file), env);
  }

  /** The built-in defaults overridden by {@code env}: for a node started with no config file. */
  public static Config defaults(Map<String, String> env) {
    return load(Path.of("(built-in defaults)"), Map.of(), env);
  }

  private static Config load(Path file, Map<String, Object> read, Map<String, String> env) {
    Map<String, Object> flat = new LinkedHashMap<>();
    ConfigFile.flatten(read, file, flat);
    java.util.function.BiConsumer<String, String> override =
        (variable, key) -> {
          String value = env.get(variable);
          if (value != null) {
            flat.put(key, value);
          }
        };
    ENV_KEYS.forEach(override);
    SECRET_ENV_KEYS.forEach(override);
    ConfigValues values = new ConfigValues(flat, file);
    Config config =
        build(values, InstallDir.from(env))
            .withCluster(cluster(values))
            .withShutdown(
                new Config.Shutdown(values.integer("shutdown.graceSeconds", 60, 0, 86_400)));
    return config.withSecrets(secrets(values, InstallDir.from(env)));
  }

  /**
   * The config file to read when none is named: {@code conf/nightshift.yaml} of the install folder
   * ({@code NIGHTSHIFT_HOME}, set by {@code bin/nightshift}), else of the working directory.
   */
  public static Path defaultFile(Map<String, String> env) {
    InstallDir install = InstallDir.from(env);
    return install == null ? DEFAULT_FILE : install.resolve(DEFAULT_FILE);
  }

  /** The {@code cluster} section: leases of running attempts and the sweeps that act on them. */
  private static Config.Cluster cluster(ConfigValues v) {
    int sweep = v.integer("cluster.sweepSeconds", 5, 1, 300);
    Config.Cluster cluster =
        new Config.Cluster(
            v.integer("cluster.leaseRenewSeconds", 10, 1, 300),
            v.integer("cluster.leaseExpirySeconds", 30, 2, 3600),
            sweep,
            v.integer("cluster.cancelPollMillis", 500, 50, 2000),
            v.integer("cluster.stallGraceSeconds", 3 * sweep, 1, 3600));
    if (cluster.leaseExpirySeconds() <= cluster.leaseRenewSeconds()) {
      throw new ConfigException(
          "cluster.leaseExpirySeconds: must be longer than cluster.leaseRenewSeconds ("
              + cluster.leaseRenewSeconds()
              + "), got "
              + cluster.leaseExpirySeconds());
    }
    return cluster;
  }

  private static Config build(ConfigValues v, InstallDir install) {
    String dbUrl = v.string("db.url", DEFAULT_DB_URL);
    Path dataDir = Path.of(v.string("dataDir", "data"));
    if (install != null) {
      dataDir = install.resolve(dataDir);
    }
    // ${dataDir} in db.url (the embedded default) follows dataDir, also when NIGHTSHIFT_DATA_DIR
    // moves it: the H2 file lives beside the token file it belongs to.
    dbUrl =
        dbUrl.replace(
            "${dataDir}", dataDir.isAbsolute() ? dataDir.toString() : "./" + dataDir.normalize());
    if (install != null) {
      dbUrl = install.resolveJdbcUrl(dbUrl);
    }
    DatabaseSettings db;
    try {
      db =
          new DatabaseSettings(
              dbUrl,
              v.string("db.user", ""),
              v.string("db.password", ""),
              v.integer("db.poolSize", 10, 1, 200));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("db.url: " + e.getMessage());
    }
    String redisUrl = v.string("redis.url", null);
    if (redisUrl != null) {
      checkRedisUrl(redisUrl);
    }
    // Unset: the node claims "<host>-<id>" with an id persisted in dataDir when it starts.
    String node = v.string("node", null);
    return Config.of(
            node,
            dataDir,
            new Config.Http(
                v.string("http.host", "127.0.0.1"),
                v.integer("http.port", 8080, 0, 65535),
                v.integer("http.maxBodyBytes", 1024 * 1024, 1024, 64 * 1024 * 1024),
                publicUrl(v.string("http.publicUrl", null)),
                v.integer("http.headerTimeoutSeconds", 10, 1, 3600),
                v.integer("http.bodyTimeoutSeconds", 30, 1, 3600),
                v.integer("http.idleTimeoutSeconds", 300, 1, 86_400),
                v.integer("http.maxConnections", 1000, 1, 1_000_000),
                v.integer("http.streamClientBytes", 1024 * 1024, 16 * 1024, 256 * 1024 * 1024),
                v.integer("http.streamTotalBytes", 64 * 1024 * 1024, 64 * 1024, Integer.MAX_VALUE),
                v.integer("http.streamsPerToken", 20, 1, 10_000)),
            db,
            new Config.Redis(redisUrl),
            new Config.Auth(adminToken(v), v.bool("auth.allowSelfApproval", false)),
            new Config.Runs(
                v.integer("runs.defaultTimeoutSeconds", 3600, 1, 7 * 24 * 3600),
                v.integer("runs.maxLinesPerStep", 1_000_000, 1, Integer.MAX_VALUE),
                v.integer("runs.maxLineLength", 16_384, 80, 1_000_000),
                v.integer("runs.killGraceSeconds", 5, 0, 600),
                v.integer("runs.retentionDays", Config.Runs.DEFAULT_RETENTION_DAYS, 0, 36_500)),
            new Config.Logs(
                v.integer("logs.bufferLines", 2_000_000, 1000, 50_000_000),
                v.integer("logs.retentionDays", 30, 1, 3650),
                v.integer("logs.readyTimeoutMillis", 2_000, 50, 60_000),
                v.integer(
                    "logs.fireRetentionDays", Config.Logs.DEFAULT_FIRE_RETENTION_DAYS, 1, 3650)))
        .withExecutor(executor(v, node, dataDir));
  }

  /**
   * The {@code secrets} section: keys are base64 of 32 bytes (checked here, never repeated in a
   * message); a relative {@code keyFile} is resolved like {@code dataDir} (against the install
   * folder when there is one).
   */
  private static Config.Secrets secrets(ConfigValues v, InstallDir install) {
    String key = v.string("secrets.key", null);
    if (key != null) {
      checkKey("secrets.key (NIGHTSHIFT_SECRETS_KEY)", key);
    }
    List<String> old = v.list("secrets.oldKeys");
    for (int i = 0; i < old.size(); i++) {
      checkKey("secrets.oldKeys[" + i + "]", old.get(i));
    }
    String file = v.string("secrets.keyFile", null);
    Path keyFile = file == null ? null : Path.of(file);
    if (keyFile != null && install != null) {
      keyFile = install.resolve(keyFile);
    }
    return new Config.Secrets(key, keyFile, old);
  }

  private static void checkKey(String key, String value) {
    String problem = io.nightshift.web.SecretKeys.problem(value);
    if (problem != null) {
      throw new ConfigException(key + ": " + problem);
    }
  }

  /** A configured admin token must be long enough not to be guessed: 16 characters or more. */
  private static String adminToken(ConfigValues v) {
    String token = v.string("auth.adminToken", null);
    if (token != null && token.length() < 16) {
      throw new ConfigException(
          "auth.adminToken: must be at least 16 characters (NIGHTSHIFT_ADMIN_TOKEN), got "
              + token.length());
    }
    return token;
  }

  private static Config.Executor executor(ConfigValues v, String node, Path dataDir) {
    List<String> passEnv = v.list("executor.passEnv");
    for (String name : passEnv) {
      if (!StepEnvironment.validName(name)) {
        throw new ConfigException(
            "executor.passEnv: '" + name + "' is not an environment variable name");
      }
    }
    String workDir = v.string("executor.workDir", null);
    Config.Executor executor =
        new Config.Executor(
            passEnv,
            workDir == null ? null : Path.of(workDir),
            v.bool("executor.keepWorkDirs", false));
    Path work = executor.workDirOf(Config.localName(node == null ? "node" : node, dataDir));
    Path data = dataDir.toAbsolutePath().normalize();
    if (work.startsWith(data) || data.startsWith(work)) {
      throw new ConfigException(
          "executor.workDir: "
              + work
              + " must not be inside dataDir "
              + data
              + " (nor contain it): a step could read the data files by a relative path");
    }
    return executor;
  }

  /** An absolute http(s) URL without a trailing slash, or null. */
  private static String publicUrl(String url) {
    if (url == null) {
      return null;
    }
    try {
      URI uri = new URI(url);
      if (!List.of("http", "https").contains(String.valueOf(uri.getScheme()))
          || uri.getHost() == null) {
        throw new ConfigException(
            "http.publicUrl: must look like https://nightshift.example, got '" + url + "'");
      }
    } catch (URISyntaxException e) {
      throw new ConfigException("http.publicUrl: not a URL: " + e.getMessage());
    }
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static void checkRedisUrl(String url) {
    try {
      URI uri = new URI(url);
      if (!List.of("redis", "rediss").contains(uri.getScheme()) || uri.getHost() == null) {
        throw new ConfigException("redis.url: must look like redis://host:6379, got '" + url + "'");
      }
    } catch (URISyntaxException e) {
      throw new ConfigException("redis.url: not a URL: " + e.getMessage());
    }
  }

  /** The host name, the first part of a node's default name. */
  public static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }
}
