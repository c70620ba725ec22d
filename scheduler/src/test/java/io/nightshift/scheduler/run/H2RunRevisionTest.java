package io.nightshift.scheduler.run;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;

class H2RunRevisionTest extends RunRevisionContract {
  @Override
  Database open() {
    return TestDatabases.freshH2();
  }
}
