package io.nightshift.scheduler.job;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;

class MySqlFiringTest extends FiringContract {
  @Override
  Database open() {
    return TestDatabases.freshMysql();
  }
}
