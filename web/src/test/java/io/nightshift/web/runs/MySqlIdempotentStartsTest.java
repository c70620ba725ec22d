package io.nightshift.web.runs;

import io.nightshift.web.TestServer;

class MySqlIdempotentStartsTest extends IdempotentStartsTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.MYSQL;
  }
}
