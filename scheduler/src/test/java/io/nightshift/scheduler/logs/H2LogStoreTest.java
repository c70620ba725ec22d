package io.nightshift.scheduler.logs;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

class H2LogStoreTest extends LogStoreContract {
  private static Database database;

  @BeforeAll
  static void open() {
    database = TestDatabases.freshH2();
  }

  @AfterAll
  static void close() {
    TestDatabases.close(database);
  }

  @Override
  Database database() {
    return database;
  }
}
