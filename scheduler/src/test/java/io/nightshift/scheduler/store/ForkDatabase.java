package io.nightshift.scheduler.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The test database of one test JVM when several run side by side: the configured database name
 * with the fork's number appended, so that forks never clean or migrate each other's tables.
 */
final class ForkDatabase {
  /** {@code jdbc:mysql://host:port/name?options}: the name is group 2. */
  private static final Pattern URL =
      Pattern.compile("^(jdbc:(?:mysql|mariadb)://[^/]+/)([^?;]+)(.*)$");

  private static final Set<String> created = new HashSet<>();

  private ForkDatabase() {}

  /** {@code url} with {@code _<fork>} after its database name; {@code url} itself when no fork. */
  static String url(String url, String fork) {
    if (fork == null || fork.isBlank()) {
      return url;
    }
    if (!fork.matches("[0-9]+")) {
      throw new IllegalArgumentException("nightshift.test.fork must be a number, not " + fork);
    }
    Matcher m = URL.matcher(url);
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "cannot name a database per test fork in " + JdbcUrls.masked(url));
    }
    return m.group(1) + m.group(2) + "_" + fork + m.group(3);
  }

  /** Creates the database of {@code url} if it is missing (once per JVM). */
  static synchronized void ensureExists(String url, String user, String password) {
    if (created.contains(url)) {
      return;
    }
    Matcher m = URL.matcher(url);
    if (!m.matches()) {
      return;
    }
    String name = m.group(2);
    if (!name.matches("[A-Za-z0-9_]+")) {
      throw new IllegalArgumentException("unexpected test database name " + name);
    }
    try (Connection c =
            DriverManager.getConnection(
                Database.withDriverOptions(m.group(1) + m.group(3)), user, password);
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE DATABASE IF NOT EXISTS `"
              + name
              + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot create the test database " + name + " at " + JdbcUrls.masked(url) + ": " + e, e);
    }
    created.add(url);
  }
}
