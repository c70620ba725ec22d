package io.nightshift.web.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.nightshift.web.config.Config;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** On MariaDB, /ready gives up on a log table that does not answer and names the log store. */
class LogStoreReadinessTest {

  @Test
  void ready_is_503_naming_the_log_store_while_another_connection_locks_the_log_table()
      throws Exception {
    Config config =
        TestServer.config(TempFolders.create("nightshift-test-"), TestDatabases.cleanMysql(), null)
            .withLogs(new Config.Logs(2_000_000, 30, 300, 90));
    try (TestServer server = TestServer.start(config);
        Connection locker =
            DriverManager.getConnection(
                TestDatabases.MYSQL_URL, TestDatabases.MYSQL_USER, TestDatabases.MYSQL_PASSWORD);
        Statement lock = locker.createStatement()) {
      Answer up = server.get("/ready", null);
      assertThat(up.status()).as(up.toString()).isEqualTo(200);
      assertThat(up.json().getJsonObject("checks").getString("logStore")).isEqualTo("up");

      lock.execute("LOCK TABLES log_line WRITE");
      try {
        // Each answer comes back (the client waits at most 30 s, the check 300 ms), and says why.
        Answer locked = server.get("/ready", null);
        assertThat(locked.status()).as(locked.toString()).isEqualTo(503);
        assertThat(locked.json().getJsonObject("checks").getString("logStore"))
            .startsWith("down")
            .contains("log store")
            .contains("300 ms");
        assertThat(locked.json().getJsonObject("checks").getString("database")).isEqualTo("up");
        assertThat(server.get("/health", null).status()).isEqualTo(200);
      } finally {
        lock.execute("UNLOCK TABLES");
      }
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> server.get("/ready", null).status() == 200);
    }
  }
}
