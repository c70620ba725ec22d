package io.nightshift.scheduler.job;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;

class H2FiringTest extends FiringContract {
  @Override
  Database open() {
    return TestDatabases.freshH2();
  }
}
