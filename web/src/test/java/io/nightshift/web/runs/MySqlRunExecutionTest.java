package io.nightshift.web.runs;

import io.nightshift.web.TestServer;

class MySqlRunExecutionTest extends RunExecutionTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.MYSQL;
  }
}
