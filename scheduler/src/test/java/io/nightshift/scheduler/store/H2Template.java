package io.nightshift.scheduler.store;

import io.nightshift.scheduler.TempFolders;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.h2.jdbcx.JdbcDataSource;

/**
 * An H2 file database migrated once per test JVM, copied into each new test database's folder
 * before its first open. Flyway then finds the schema current and only validates it: running every
 * migration against each of the suite's hundreds of fresh H2 databases was a twentieth of the test
 * JVMs' CPU. The migrations themselves still run on H2 here, once, and on MariaDB.
 */
final class H2Template {
  static final String FILE = "nightshift.mv.db";

  private static Path template;

  private H2Template() {}

  /** Puts a migrated database into {@code dir} unless a database is there already. */
  static void seed(Path dir) {
    Path target = dir.resolve(FILE);
    if (Files.exists(target)) {
      return;
    }
    try {
      Files.createDirectories(dir);
      Files.copy(template(), target);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static synchronized Path template() {
    if (template == null) {
      Path dir = TempFolders.create("nightshift-h2-template-");
      JdbcDataSource source = new JdbcDataSource();
      source.setURL(Database.withDriverOptions("jdbc:h2:file:" + dir.resolve("nightshift")));
      source.setUser("sa");
      Database.migrate(source);
      try (Connection c = source.getConnection();
          Statement s = c.createStatement()) {
        s.execute("SHUTDOWN");
      } catch (SQLException e) {
        throw new IllegalStateException("cannot close the template H2 database: " + e, e);
      }
      template = dir.resolve(FILE);
    }
    return template;
  }
}
