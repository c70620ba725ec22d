package io.nightshift.web.secrets;

import io.nightshift.web.TestServer;

/** Fails when the test MariaDB cannot be reached: it never skips. */
class MySqlSecretsApiTest extends SecretsApiTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.MYSQL;
  }
}
