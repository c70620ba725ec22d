package io.nightshift.scheduler.job;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;

class MySqlBusyJobRowTest extends BusyJobRowContract {
  @Override
  Database open() {
    return TestDatabases.freshMysql();
  }

  /**
   * Statements on the test database under way that lock rows, but this one (the holder's has
   * ended): without the PROCESS privilege the lock waits themselves cannot be read.
   */
  @Override
  int lockWaits() {
    return dsl.fetchCount(
        dsl.selectFrom("information_schema.processlist")
            .where(
                "db = database() and id <> connection_id() and lower(info) like '%for update%'"));
  }
}
