package io.nightshift.web.http;

import io.nightshift.web.TestServer;

class H2TemplatesApiTest extends TemplatesApiTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.H2;
  }
}
