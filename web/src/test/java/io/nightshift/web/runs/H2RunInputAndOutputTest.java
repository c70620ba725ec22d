package io.nightshift.web.runs;

import io.nightshift.web.TestServer;

class H2RunInputAndOutputTest extends RunInputAndOutputTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.H2;
  }
}
