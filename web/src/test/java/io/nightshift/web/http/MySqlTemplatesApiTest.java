package io.nightshift.web.http;

import io.nightshift.web.TestServer;

class MySqlTemplatesApiTest extends TemplatesApiTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.MYSQL;
  }
}
