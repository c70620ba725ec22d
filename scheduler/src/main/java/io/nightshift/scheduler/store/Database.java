package io.nightshift.scheduler.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jooq.ConnectionProvider;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.conf.Settings;
import org.jooq.impl.DSL;
import org.jooq.impl.DefaultConfiguration;

/**
 * The connection pools, the schema migration and the jOOQ contexts. One per process; both stores
 * (MySQL/MariaDB and the embedded H2 in MySQL mode) go through the same code. Besides the main pool
 * ({@code db.poolSize}) a tiny pool of its own serves the lease renewals and cancel polls of the
 * engine, so that they never wait behind runs' work for a connection.
 */
public final class Database implements AutoCloseable {
  /**
   * Connections of the lease pool: its one user is the engine's lease thread (renewals and cancel
   * polls run one after another); the second serves the rare node lease read at start and stop.
   */
  static final int LEASE_POOL_SIZE = 2;

  private final HikariDataSource dataSource;
  private final HikariDataSource leaseSource;
  private final DSLContext dsl;
  private final DSLContext leases;
  private final boolean embedded;

  private Database(HikariDataSource dataSource, HikariDataSource leaseSource, boolean embedded) {
    this.dataSource = dataSource;
    this.leaseSource = leaseSource;
    this.embedded = embedded;
    this.dsl = context(dataSource);
    this.leases = context(leaseSource);
  }

  /**
   * A jOOQ context on {@code dataSource} whose transactions fail at once when the pool has no
   * connection to give ({@link Transactions}).
   */
  static DSLContext context(DataSource dataSource) {
    ConnectionProvider connections = Transactions.connections(dataSource);
    return DSL.using(
        new DefaultConfiguration()
            .set(SQLDialect.MYSQL)
            .set(new Settings().withExecuteLogging(false))
            .set(connections)
            .set(Transactions.provider(connections)));
  }

  /**
   * Opens the pools and migrates the schema with Flyway; fails with the reason if it cannot (an
   * unreachable database, a server too old: {@link ServerVersion}).
   */
  public static Database open(DatabaseSettings settings) {
    HikariDataSource dataSource = pool(settings, "nightshift-db", settings.poolSize());
    HikariDataSource leaseSource = null;
    try {
      ServerVersion.check(dataSource);
      migrate(dataSource);
      leaseSource = pool(settings, "nightshift-db-leases", LEASE_POOL_SIZE);
      return new Database(dataSource, leaseSource, settings.embedded());
    } catch (RuntimeException e) {
      if (leaseSource != null) {
        leaseSource.close();
      }
      dataSource.close();
      throw e;
    }
  }

  private static HikariDataSource pool(DatabaseSettings settings, String name, int size) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(withDriverOptions(settings.url()));
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setMaximumPoolSize(size);
    config.setPoolName(name);
    config.setConnectionTimeout(5_000);
    config.setInitializationFailTimeout(10_000);
    return new HikariDataSource(config);
  }

  static void migrate(DataSource dataSource) {
    Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/migration")
        .failOnMissingLocations(true)
        .load()
        .migrate();
  }

  /**
   * What the store needs of H2: the schema and jOOQ's names are MySQL's (without these, a plain
   * {@code jdbc:h2:./data/ns} fails its first migration on "Unknown data type: DATETIME"), commits
   * written at once (H2 flushes them up to 500 ms late by default: a killed service would forget
   * them), and no close in H2's own shutdown hook (it would run under a draining node still
   * recording its steps' ends; the node closes the database once the drain is done).
   */
  private static final String[] H2_OPTIONS = {
    "MODE=MySQL",
    "DATABASE_TO_LOWER=TRUE",
    "CASE_INSENSITIVE_IDENTIFIERS=TRUE",
    "WRITE_DELAY=0",
    "DB_CLOSE_ON_EXIT=FALSE"
  };

  /**
   * MySQL needs UTC sessions and rewritten batches (STACK.md), and caches parsed statements; H2
   * needs {@link #H2_OPTIONS}. The options are added unless the operator set them.
   */
  static String withDriverOptions(String configured) {
    String url = JdbcUrls.forDriver(configured);
    if (url.startsWith("jdbc:h2:")) {
      String upper = url.toUpperCase(java.util.Locale.ROOT);
      StringBuilder out = new StringBuilder(url);
      for (String option : H2_OPTIONS) {
        if (!upper.contains(";" + option.substring(0, option.indexOf('=') + 1))) {
          out.append(';').append(option);
        }
      }
      return out.toString();
    }
    if (!url.startsWith("jdbc:mysql:")) {
      return url;
    }
    StringBuilder out = new StringBuilder(url);
    char sep = url.contains("?") ? '&' : '?';
    for (String option :
        new String[] {
          "rewriteBatchedStatements=true",
          "connectionTimeZone=UTC",
          "forceConnectionTimeZoneToSession=true",
          "characterEncoding=UTF-8",
          // The same few statements run all the time: parse each once per connection, and do
          // not ask the server for what the driver already knows (autocommit, isolation).
          "cachePrepStmts=true",
          "prepStmtCacheSize=256",
          "prepStmtCacheSqlLimit=4096",
          "useLocalSessionState=true",
          "cacheServerConfiguration=true",
          "maintainTimeStats=false"
        }) {
      String key = option.substring(0, option.indexOf('=') + 1);
      if (!url.contains(key)) {
        out.append(sep).append(option);
        sep = '&';
      }
    }
    return out.toString();
  }

  public DSLContext dsl() {
    return dsl;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  /**
   * The lease pool's context: for lease renewals and cancel polls only, which must go on while
   * every connection of the main pool is busy (a node that cannot renew in time has its live
   * attempts failed as lost by another node).
   */
  public DSLContext leases() {
    return leases;
  }

  public boolean embedded() {
    return embedded;
  }

  /** True when a connection can be taken and answers a trivial query within the timeout. */
  public boolean isReachable(int timeoutSeconds) {
    try (Connection c = dataSource.getConnection()) {
      return c.isValid(timeoutSeconds);
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public void close() {
    leaseSource.close();
    dataSource.close();
  }
}
