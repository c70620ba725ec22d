package io.nightshift.scheduler.job;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;

class MySqlFireRetentionTest extends FireRetentionContract {
  @Override
  Database open() {
    return TestDatabases.freshMysql();
  }
}
