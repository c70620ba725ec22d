package io.nightshift.scheduler.store;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.jooq.exception.DataAccessException;
import org.jooq.exception.SQLStateClass;

/** Small conversions shared by the repositories: UTC times and duplicate-key detection. */
public final class Sql {
  private Sql() {}

  /** DATETIME columns hold UTC wall time; never the JVM zone. */
  public static LocalDateTime utc(Instant instant) {
    return instant == null ? null : LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
  }

  public static Instant instant(LocalDateTime utc) {
    return utc == null ? null : utc.toInstant(ZoneOffset.UTC);
  }

  public static boolean isDuplicateKey(DataAccessException e) {
    return e.sqlStateClass() == SQLStateClass.C23_INTEGRITY_CONSTRAINT_VIOLATION;
  }
}
