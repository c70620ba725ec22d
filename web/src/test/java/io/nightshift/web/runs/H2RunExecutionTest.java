package io.nightshift.web.runs;

import io.nightshift.web.TestServer;

class H2RunExecutionTest extends RunExecutionTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.H2;
  }
}
