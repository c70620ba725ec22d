package io.nightshift.scheduler.store;

/** The store contract on the embedded H2 (MySQL mode). */
class H2StoreTest extends StoreContractTest {
  @Override
  Database open() {
    return TestDatabases.freshH2();
  }
}
