package io.nightshift.scheduler.store;

/** Secrets at rest on MySQL/MariaDB; fails when the test database cannot be reached. */
class MySqlSecretsAtRestTest extends SecretsAtRestContract {
  @Override
  Database open() {
    return TestDatabases.freshMysql();
  }
}
