package io.nightshift.scheduler.store;

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
}
