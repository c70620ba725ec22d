package io.nightshift.web.runs;

import io.nightshift.web.TestServer;

class MySqlRunInputAndOutputTest extends RunInputAndOutputTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.MYSQL;
  }
}
