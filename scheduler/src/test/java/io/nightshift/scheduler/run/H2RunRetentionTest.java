package io.nightshift.scheduler.run;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;

class H2RunRetentionTest extends RunRetentionContract {
  @Override
  Database open() {
    return TestDatabases.freshH2();
  }
}
