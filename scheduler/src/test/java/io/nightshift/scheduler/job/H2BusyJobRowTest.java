package io.nightshift.scheduler.job;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;

class H2BusyJobRowTest extends BusyJobRowContract {
  @Override
  Database open() {
    return TestDatabases.freshH2();
  }

  @Override
  int lockWaits() {
    return dsl.fetchCount(
        dsl.selectFrom("information_schema.sessions").where("blocker_id is not null"));
  }
}
