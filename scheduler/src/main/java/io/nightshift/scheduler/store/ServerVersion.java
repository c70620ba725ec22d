package io.nightshift.scheduler.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * The oldest MySQL and MariaDB servers the store runs on: MySQL 8.0 and MariaDB 10.6, the first
 * with {@code SELECT ... FOR UPDATE SKIP LOCKED} (a fire's claim never waits on a job's row). An
 * older server is refused at start, with the versions needed, before anything is migrated.
 */
final class ServerVersion {
  private static final Pattern NUMBERS = Pattern.compile("^(\\d+)\\.(\\d+)");

  private ServerVersion() {}

  /** Fails with the versions needed when the server of {@code dataSource} is too old. */
  static void check(DataSource dataSource) {
    String version;
    try (Connection connection = dataSource.getConnection()) {
      if (connection.getMetaData().getURL().startsWith("jdbc:h2:")) {
        return; // the embedded store
      }
      // The server's own answer, not the handshake's (a proxy in between may name another).
      try (var statement = connection.createStatement();
          var result = statement.executeQuery("SELECT VERSION()")) {
        result.next();
        version = result.getString(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read the database server's version: " + e, e);
    }
    String problem = problem(version);
    if (problem != null) {
      throw new IllegalStateException(problem);
    }
  }

  /** Why a server reporting {@code version} cannot be used; null if it can. */
  static String problem(String version) {
    boolean mariadb = version.contains("MariaDB");
    // MariaDB before 11 may prefix its version with "5.5.5-" for MySQL clients.
    String own = mariadb && version.startsWith("5.5.5-") ? version.substring(6) : version;
    Matcher numbers = NUMBERS.matcher(own);
    if (!numbers.find()) {
      return null; // an unknown form: not refused on a guess
    }
    int major = Integer.parseInt(numbers.group(1));
    int minor = Integer.parseInt(numbers.group(2));
    boolean old = mariadb ? major < 10 || (major == 10 && minor < 6) : major < 8;
    if (!old) {
      return null;
    }
    return (mariadb ? "MariaDB " : "MySQL ")
        + own
        + " is too old: Nightshift needs MySQL 8.0 or later, or MariaDB 10.6 or later"
        + " (it claims fires with SELECT ... FOR UPDATE SKIP LOCKED)";
  }
}
