package io.nightshift.web.runs;

import io.nightshift.web.TestServer;

class H2IdempotentStartsTest extends IdempotentStartsTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.H2;
  }
}
