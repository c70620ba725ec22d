package io.nightshift.bench;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.DatabaseSettings;
import java.sql.Connection;
import org.flywaydb.core.Flyway;

/** The benchmark's database: emptied and migrated before every benchmark. */
final class BenchSchema {
  private BenchSchema() {}

  /**
   * Drops every table (Flyway clean, as the tests do), migrates, and moves the run ids far away
   * from other programs' (the live channels {@code nightshift:log:{runId}} are global to the Redis
   * server, whatever database is selected). Returns the id the first run will get.
   */
  static long clean(Settings s) throws Exception {
    Flyway.configure()
        .dataSource(Sql.withDriverOptions(s.dbUrl()), s.dbUser(), s.dbPassword())
        .cleanDisabled(false)
        .locations("classpath:db/migration")
        .load()
        .clean();
    Database.open(new DatabaseSettings(s.dbUrl(), s.dbUser(), s.dbPassword(), 2)).close();
    long first = 7_000_000_000L + (System.currentTimeMillis() / 1000 % 1_000_000) * 1000;
    try (Connection c = Sql.connect(s)) {
      Sql.execute(c, "ALTER TABLE run AUTO_INCREMENT = " + first);
    }
    return first;
  }
}
