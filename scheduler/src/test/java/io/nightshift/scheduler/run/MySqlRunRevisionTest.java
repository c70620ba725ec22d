package io.nightshift.scheduler.run;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;

class MySqlRunRevisionTest extends RunRevisionContract {
  @Override
  Database open() {
    return TestDatabases.freshMysql();
  }
}
