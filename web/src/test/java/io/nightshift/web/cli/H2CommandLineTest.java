package io.nightshift.web.cli;

import io.nightshift.web.TestServer;

class H2CommandLineTest extends CommandLineTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.H2;
  }
}
