package io.nightshift.web.secrets;

import io.nightshift.web.TestServer;

class H2SecretsApiTest extends SecretsApiTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.H2;
  }
}
