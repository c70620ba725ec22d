package io.nightshift.scheduler.store;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.jooq.exception.DataAccessException;
import org.jooq.exception.SQLStateClass;

/** What the repositories share about SQL errors. */
public final class Sql {
  private Sql() {}

  /**
   * A unique key refused the row: "already there", which callers turn into a conflict or a no-op.
   */
  public static boolean isDuplicateKey(DataAccessException e) {
    return e.sqlStateClass() == SQLStateClass.C23_INTEGRITY_CONSTRAINT_VIOLATION;
  }

  /**
   * Whether the database could not be reached at all (no free connection in time, or a connection
   * error, SQL state class 08), as opposed to one statement failing: trying the next statement now
   * would only wait the same timeout again.
   */
  public static boolean isUnavailable(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException e
          && e.getSQLState() != null
          && e.getSQLState().startsWith("08")) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code failure} itself, to log with its stack trace; null when the database is merely
   * unreachable, where every poller would print the same long trace every few seconds of an outage
   * and one line each says it all. Use as the last argument of a log call whose message has a
   * placeholder for {@code failure.toString()}.
   */
  public static Throwable traceUnlessUnavailable(Throwable failure) {
    return isUnavailable(failure) ? null : failure;
  }
}
