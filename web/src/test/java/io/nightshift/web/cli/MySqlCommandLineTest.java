package io.nightshift.web.cli;

import io.nightshift.web.TestServer;

class MySqlCommandLineTest extends CommandLineTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.MYSQL;
  }
}
