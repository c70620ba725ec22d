package io.nightshift.scheduler.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.nightshift.scheduler.TempFolders;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Fresh, migrated databases for tests. MySQL/MariaDB comes from {@code NIGHTSHIFT_TEST_DB_URL}
 * (default {@code jdbc:mysql://127.0.0.1:3306/nightshift_test}, user/password {@code nightshift});
 * a test that needs it fails when it cannot be reached: it never skips.
 *
 * <p>Test JVMs run side by side (surefire forks): fork {@code n} (system property {@code
 * nightshift.test.fork}) gets a database of its own, the configured name suffixed with {@code _n}
 * ({@code nightshift_test_2}), created on first use through the same account.
 */
public final class TestDatabases {
  public static final String MYSQL_URL =
      ForkDatabase.url(
          env("NIGHTSHIFT_TEST_DB_URL", "jdbc:mysql://127.0.0.1:3306/nightshift_test"),
          System.getProperty("nightshift.test.fork"));
  public static final String MYSQL_USER = env("NIGHTSHIFT_TEST_DB_USER", "nightshift");
  public static final String MYSQL_PASSWORD = env("NIGHTSHIFT_TEST_DB_PASSWORD", "nightshift");

  /** The folders of the databases {@link #freshH2} made that are not closed yet. */
  private static final Map<Database, Path> H2_FOLDERS =
      Collections.synchronizedMap(new IdentityHashMap<>());

  private TestDatabases() {}

  /**
   * A MySQL connection pool on a loopback port nobody listens on, which gives up on a connection
   * after 250 ms: a database that cannot be reached at all.
   */
  public static HikariDataSource unreachablePool() throws IOException {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:mysql://127.0.0.1:" + port + "/nightshift");
    config.setUsername("nightshift");
    config.setConnectionTimeout(250);
    config.setInitializationFailTimeout(-1);
    return new HikariDataSource(config);
  }

  public static DatabaseSettings mysqlSettings() {
    ForkDatabase.ensureExists(MYSQL_URL, MYSQL_USER, MYSQL_PASSWORD);
    return new DatabaseSettings(MYSQL_URL, MYSQL_USER, MYSQL_PASSWORD, 10);
  }

  /** An empty, migrated schema on the test MySQL. */
  public static Database freshMysql() {
    return Database.open(cleanMysql());
  }

  /**
   * Empties the test MySQL database ({@link EmptySchema}: its tables truncated, or dropped and
   * migrated again) and returns its settings.
   */
  public static DatabaseSettings cleanMysql() {
    DatabaseSettings settings = mysqlSettings();
    EmptySchema.reset(settings);
    return settings;
  }

  /**
   * An H2 file database in {@code dir}; when there is none yet, it starts as a copy of a migrated
   * one ({@link H2Template}).
   */
  public static DatabaseSettings h2Settings(Path dir) {
    H2Template.seed(dir);
    return new DatabaseSettings(
        "jdbc:h2:file:"
            + dir.toAbsolutePath().resolve("nightshift")
            + ";MODE=MySQL;DATABASE_TO_LOWER=TRUE;CASE_INSENSITIVE_IDENTIFIERS=TRUE",
        "sa",
        "",
        10);
  }

  /**
   * A new embedded H2 file database in a fresh temporary folder: {@link #close} deletes the folder,
   * else it goes when the test JVM exits ({@link Database} has no close hook of its own).
   */
  public static Database freshH2() {
    Path dir = TempFolders.create("nightshift-h2-");
    Database database = Database.open(h2Settings(dir));
    H2_FOLDERS.put(database, dir);
    return database;
  }

  /** Closes {@code database}; one {@link #freshH2} made goes with its folder. */
  public static void close(Database database) {
    database.close();
    Path dir = H2_FOLDERS.remove(database);
    if (dir != null) {
      TempFolders.delete(dir);
    }
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
