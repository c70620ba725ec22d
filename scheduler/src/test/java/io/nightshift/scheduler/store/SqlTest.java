package io.nightshift.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.SQLException;
import org.jooq.SQLDialect;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

class SqlTest {
  @Test
  void a_database_nobody_answers_for_is_unavailable_and_logged_without_its_trace()
      throws Exception {
    try (HikariDataSource pool = TestDatabases.unreachablePool()) {
      Throwable failure =
          catchThrowable(() -> DSL.using(pool, SQLDialect.MYSQL).fetchValue("select 1"));

      assertThat(failure).isInstanceOf(DataAccessException.class);
      assertThat(Sql.isUnavailable(failure)).isTrue();
      assertThat(Sql.traceUnlessUnavailable(failure)).isNull();
    }
  }

  @Test
  void a_connection_error_is_unavailable_and_a_deadlock_is_not() {
    DataAccessException lost =
        new DataAccessException("lost", new SQLException("Communications link failure", "08S01"));
    DataAccessException deadlock =
        new DataAccessException("deadlock", new SQLException("Deadlock found", "40001", 1213));

    assertThat(Sql.isUnavailable(lost)).isTrue();
    assertThat(Sql.isUnavailable(deadlock)).isFalse();
    assertThat(Sql.traceUnlessUnavailable(deadlock)).isSameAs(deadlock);
    assertThat(Sql.isUnavailable(new IllegalStateException("no cause"))).isFalse();
  }
}
