package io.nightshift.scheduler.store;

/** Secrets at rest on the embedded H2 (MySQL mode). */
class H2SecretsAtRestTest extends SecretsAtRestContract {
  @Override
  Database open() {
    return TestDatabases.freshH2();
  }
}
