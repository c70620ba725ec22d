package io.nightshift.web.http;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A real node on MariaDB with a pool of three connections, all held: a request that cannot get a
 * connection in time is answered 503 with {@code Retry-After} and a message naming the pool, never
 * 500 (answers are checked against the OpenAPI document); once connections are free it is served.
 */
class DatabaseBusyTest {
  static final int POOL = 3;

  @Test
  void a_request_that_gets_no_database_connection_in_time_is_answered_503_with_retry_after()
      throws Exception {
    DatabaseSettings mysql = TestDatabases.cleanMysql();
    DatabaseSettings small =
        new DatabaseSettings(mysql.url(), mysql.user(), mysql.password(), POOL);
    try (TestServer server =
        TestServer.start(TestServer.config(TempFolders.create("nightshift-busy-"), small, null))) {
      DataSource pool = server.nightshift().database().dataSource();
      List<Connection> held = new ArrayList<>();
      try {
        for (int i = 0; i < POOL; i++) {
          held.add(pool.getConnection());
        }

        Answer read = server.get("/api/v1/runs", ADMIN_TOKEN);
        assertBusy(read);
        Answer write =
            server.post(
                "/api/v1/templates",
                ADMIN_TOKEN,
                "{\"name\": \"busy\", \"steps\": [{\"name\": \"a\", \"kind\": \"command\", \"command\": \"true\"}]}");
        assertBusy(write);
      } finally {
        for (Connection c : held) {
          c.close();
        }
      }

      Answer served = server.get("/api/v1/runs", ADMIN_TOKEN);
      assertThat(served.status()).as(served.toString()).isEqualTo(200);
    }
  }

  static void assertBusy(Answer answer) {
    assertThat(answer.status()).as(answer.toString()).isEqualTo(503);
    assertThat(answer.response().headers().firstValue("Retry-After")).hasValue("2");
    assertThat(answer.errorCode()).isEqualTo("database_busy");
    assertThat(answer.errorMessage()).contains("db.poolSize").contains("Retry-After");
  }

  /**
   * A run-now whose job row another transaction holds gives up after the store's lock timeout
   * (H2's, set short in the URL): 503 {@code write_conflict} with {@code Retry-After}, never 500.
   */
  @Test
  void a_request_that_gives_up_waiting_for_a_lock_is_answered_503_write_conflict()
      throws Exception {
    java.nio.file.Path dir = TempFolders.create("nightshift-lock-");
    DatabaseSettings h2 = TestDatabases.h2Settings(dir);
    DatabaseSettings shortLocks =
        new DatabaseSettings(h2.url() + ";LOCK_TIMEOUT=300", h2.user(), h2.password(), 10);
    try (TestServer server = TestServer.start(TestServer.config(dir, shortLocks, null))) {
      Answer template =
          server.post(
              "/api/v1/templates",
              ADMIN_TOKEN,
              "{\"name\": \"locked\", \"steps\": [{\"name\": \"a\", \"kind\": \"command\","
                  + " \"command\": \"true\"}]}");
      assertThat(template.status()).as(template.toString()).isEqualTo(201);
      Answer job =
          server.post(
              "/api/v1/jobs",
              ADMIN_TOKEN,
              "{\"name\": \"locked\", \"template\": \"locked\", \"concurrency\": \"forbid\","
                  + " \"schedule\": {\"at\": \"2099-01-01T00:00:00Z\"}}");
      assertThat(job.status()).as(job.toString()).isEqualTo(201);
      try (Connection holder = server.nightshift().database().dataSource().getConnection()) {
        holder.setAutoCommit(false);
        try (var lock =
            holder.prepareStatement("SELECT id FROM job WHERE name = 'locked' FOR UPDATE")) {
          lock.executeQuery().close();
        }
        Answer waited = server.post("/api/v1/jobs/locked/runs", ADMIN_TOKEN, null);
        assertThat(waited.status()).as(waited.toString()).isEqualTo(503);
        assertThat(waited.errorCode()).isEqualTo("write_conflict");
        assertThat(waited.response().headers().firstValue("Retry-After")).hasValue("1");
        holder.rollback();
      }
      Answer served = server.post("/api/v1/jobs/locked/runs", ADMIN_TOKEN, null);
      assertThat(served.status()).as(served.toString()).isEqualTo(202);
    }
  }
}
