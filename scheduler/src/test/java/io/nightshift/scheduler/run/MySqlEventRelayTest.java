package io.nightshift.scheduler.run;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;

class MySqlEventRelayTest extends EventRelayContract {
  @Override
  Database open() {
    return TestDatabases.freshMysql();
  }
}
