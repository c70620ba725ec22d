package io.nightshift.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.junit.jupiter.api.Test;

class TransactionsTest {
  @Test
  void a_transaction_that_gets_no_connection_asks_the_pool_once() throws Exception {
    try (HikariDataSource pool = TestDatabases.unreachablePool()) {
      Counting counted = new Counting(pool);
      DSLContext dsl = Database.context(counted);

      Throwable failure = catchThrowable(() -> dsl.transaction(cfg -> cfg.dsl().selectOne()));

      assertThat(Sql.isUnavailable(failure)).as("%s", failure).isTrue();
      // jOOQ's own provider asked a second time to roll back what never began, waiting the
      // pool's timeout again.
      assertThat(counted.asked.get()).isEqualTo(1);
    }
  }

  @Test
  void a_failing_transaction_gives_its_connection_back_and_keeps_nothing() {
    try (HikariDataSource pool = h2(1)) {
      DSLContext dsl = Database.context(pool);
      dsl.execute("create table t (v int)");

      assertThatThrownBy(
              () ->
                  dsl.transaction(
                      cfg -> {
                        cfg.dsl().execute("insert into t values (1)");
                        throw new IllegalStateException("boom");
                      }))
          .hasMessageContaining("boom");

      // The pool's one connection is free again: a leak would time this out.
      dsl.transaction(cfg -> cfg.dsl().execute("insert into t values (2)"));
      assertThat(values(dsl)).containsExactly(2);
    }
  }

  @Test
  void a_nested_transaction_rolls_back_to_its_savepoint_and_the_outer_one_rolls_back_all() {
    try (HikariDataSource pool = h2(1)) {
      DSLContext dsl = Database.context(pool);
      dsl.execute("create table t (v int)");

      dsl.transaction(
          outer -> {
            outer.dsl().execute("insert into t values (1)");
            catchThrowable(
                () ->
                    outer
                        .dsl()
                        .transaction(
                            inner -> {
                              inner.dsl().execute("insert into t values (2)");
                              throw new IllegalStateException("inner");
                            }));
            outer.dsl().execute("insert into t values (3)");
          });
      assertThat(values(dsl)).containsExactly(1, 3);

      catchThrowable(
          () ->
              dsl.transaction(
                  outer -> {
                    outer.dsl().execute("insert into t values (4)");
                    outer
                        .dsl()
                        .transaction(inner -> inner.dsl().execute("insert into t values (5)"));
                    throw new IllegalStateException("outer");
                  }));
      assertThat(values(dsl)).containsExactly(1, 3);
    }
  }

  private static List<Integer> values(DSLContext dsl) {
    return dsl.fetch("select v from t order by v").getValues(0, Integer.class);
  }

  private static HikariDataSource h2(int connections) {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl("jdbc:h2:mem:tx-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    config.setMaximumPoolSize(connections);
    config.setConnectionTimeout(500);
    return new HikariDataSource(config);
  }

  /** A data source that counts how often a connection was asked for. */
  private static final class Counting implements DataSource {
    final AtomicInteger asked = new AtomicInteger();
    private final DataSource pool;

    Counting(DataSource pool) {
      this.pool = pool;
    }

    @Override
    public Connection getConnection() throws SQLException {
      asked.incrementAndGet();
      return pool.getConnection();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      asked.incrementAndGet();
      return pool.getConnection(user, password);
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
      pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return pool.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() {
      return Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      return pool.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
      return pool.isWrapperFor(type);
    }
  }
}
