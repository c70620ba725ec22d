package io.nightshift.scheduler.store;

import java.util.Objects;

/** How to reach the database: a JDBC URL (MySQL/MariaDB or H2), credentials and pool size. */
public record DatabaseSettings(String url, String user, String password, int poolSize) {
  public DatabaseSettings {
    Objects.requireNonNull(url, "url");
    if (!url.startsWith("jdbc:mysql:")
        && !url.startsWith("jdbc:mariadb:")
        && !url.startsWith("jdbc:h2:")) {
      throw new IllegalArgumentException(
          "must be a jdbc:mysql:, jdbc:mariadb: or jdbc:h2: URL, got '"
              + JdbcUrls.masked(url)
              + "'");
    }
    if (poolSize < 1 || poolSize > 200) {
      throw new IllegalArgumentException("poolSize must be between 1 and 200, got " + poolSize);
    }
    user = user == null ? "" : user;
    password = password == null ? "" : password;
  }

  public boolean embedded() {
    return url.startsWith("jdbc:h2:");
  }
}
