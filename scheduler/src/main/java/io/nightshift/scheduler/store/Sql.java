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
    return hasCause(failure, t -> t instanceof SQLTransientConnectionException || is08(t));
  }

  /**
   * Whether connecting to the database failed (SQL state class 08 somewhere in the causes): the
   * database is down or cut off. Unlike {@link #isUnavailable}, a pool that merely had no free
   * connection in time (busy, the database answering) does not count.
   */
  public static boolean isConnectionError(Throwable failure) {
    return hasCause(failure, Sql::is08);
  }

  /**
   * Whether a statement gave up on a lock another transaction held: a deadlock (SQL state 40001),
   * MySQL's lock wait timeout (error 1205) or H2's (state HYT00).
   */
  public static boolean isLockConflict(Throwable failure) {
    return hasCause(
        failure,
        t ->
            t instanceof SQLException e
                && ("40001".equals(e.getSQLState())
                    || "HYT00".equals(e.getSQLState())
                    || e.getErrorCode() == 1205));
  }

  private static boolean is08(Throwable t) {
    return t instanceof SQLException e
        && e.getSQLState() != null
        && e.getSQLState().startsWith("08");
  }

  private static boolean hasCause(Throwable failure, java.util.function.Predicate<Throwable> test) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      if (test.test(t)) {
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
