package io.nightshift.scheduler.notify;

import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;

class H2WebhookFanOutTest extends WebhookFanOutContract {
  @Override
  Database open() {
    return TestDatabases.freshH2();
  }
}
