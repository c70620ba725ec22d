package io.nightshift.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ServerVersionTest {
  @Test
  void mysql_before_8_and_mariadb_before_10_6_are_refused_naming_the_versions_needed() {
    assertThat(ServerVersion.problem("5.7.44-log"))
        .isEqualTo(
            "MySQL 5.7.44-log is too old: Nightshift needs MySQL 8.0 or later, or MariaDB 10.6 or"
                + " later (it claims fires with SELECT ... FOR UPDATE SKIP LOCKED)");
    assertThat(ServerVersion.problem("10.5.23-MariaDB-0+deb11u1")).startsWith("MariaDB 10.5.23");
    assertThat(ServerVersion.problem("5.5.5-10.4.32-MariaDB"))
        .startsWith("MariaDB 10.4.32-MariaDB is");
  }

  @Test
  void mysql_8_and_mariadb_10_6_and_later_are_taken() {
    assertThat(ServerVersion.problem("8.0.36")).isNull();
    assertThat(ServerVersion.problem("8.4.0")).isNull();
    assertThat(ServerVersion.problem("10.6.16-MariaDB")).isNull();
    assertThat(ServerVersion.problem("10.11.19-MariaDB-0+deb12u1")).isNull();
    assertThat(ServerVersion.problem("11.4.2-MariaDB")).isNull();
    assertThat(ServerVersion.problem("5.5.5-10.11.6-MariaDB")).isNull();
  }
}
