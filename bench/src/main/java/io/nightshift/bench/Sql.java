package io.nightshift.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/** Plain JDBC on the benchmark's own connections (outside the service's pool). */
final class Sql {
  private Sql() {}

  /** The options Nightshift adds too (STACK.md): UTC sessions, rewritten batches, UTF-8. */
  static String withDriverOptions(String url) {
    StringBuilder out = new StringBuilder(url);
    char sep = url.contains("?") ? '&' : '?';
    for (String option :
        new String[] {
          "rewriteBatchedStatements=true",
          "connectionTimeZone=UTC",
          "forceConnectionTimeZoneToSession=true",
          "characterEncoding=UTF-8"
        }) {
      if (!url.contains(option.substring(0, option.indexOf('=') + 1))) {
        out.append(sep).append(option);
        sep = '&';
      }
    }
    return out.toString();
  }

  static Connection connect(Settings s) throws SQLException {
    Connection c =
        DriverManager.getConnection(withDriverOptions(s.dbUrl()), s.dbUser(), s.dbPassword());
    c.setAutoCommit(true);
    return c;
  }

  static void execute(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /** The first column of the first row as a long (0 for NULL or no row). */
  static long longOf(Connection c, String sql, Object... args) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        st.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  /** A DATETIME(3) column, stored in UTC. */
  static Instant instantOf(ResultSet rs, String column) throws SQLException {
    LocalDateTime t = rs.getObject(column, LocalDateTime.class);
    return t == null ? null : t.toInstant(ZoneOffset.UTC);
  }
}
