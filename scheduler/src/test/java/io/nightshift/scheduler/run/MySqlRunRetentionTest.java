package io.nightshift.scheduler.run;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;

class MySqlRunRetentionTest extends RunRetentionContract {
  @Override
  Database open() {
    return TestDatabases.freshMysql();
  }
}
