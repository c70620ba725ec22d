package io.nightshift.scheduler.store;

/** The store contract on MySQL/MariaDB; fails when the test database cannot be reached. */
class MySqlStoreTest extends StoreContractTest {
  @Override
  Database open() {
    return TestDatabases.freshMysql();
  }
}
