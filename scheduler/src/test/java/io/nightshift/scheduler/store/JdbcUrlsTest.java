package io.nightshift.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.scheduler.TempFolders;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class JdbcUrlsTest {
  @Test
  void a_jdbc_mariadb_url_opens_the_real_mariadb_through_the_mysql_driver() {
    DatabaseSettings mysql = TestDatabases.mysqlSettings();
    String mariadb = "jdbc:mariadb:" + mysql.url().substring("jdbc:mysql:".length());
    try (Database db =
        Database.open(new DatabaseSettings(mariadb, mysql.user(), mysql.password(), 2))) {
      assertThat(db.dsl().fetchValue("select 1")).isEqualTo(1);
    }
  }

  @Test
  void a_plain_h2_file_url_opens_a_working_store_with_the_options_it_needs() {
    Path dir = TempFolders.create("nightshift-h2-url-");
    try (Database db =
        Database.open(new DatabaseSettings("jdbc:h2:file:" + dir.resolve("ns"), "", "", 2))) {
      assertThat(db.dsl().fetchValue("select count(*) from run")).isEqualTo(0L);
    } finally {
      TempFolders.delete(dir);
    }
    assertThat(Database.withDriverOptions("jdbc:h2:./data/ns"))
        .contains(";MODE=MySQL;DATABASE_TO_LOWER=TRUE;CASE_INSENSITIVE_IDENTIFIERS=TRUE");
    // What the operator set stays as set, once.
    assertThat(Database.withDriverOptions("jdbc:h2:./data/ns;mode=MySQL;WRITE_DELAY=100"))
        .isEqualTo(
            "jdbc:h2:./data/ns;mode=MySQL;WRITE_DELAY=100;DATABASE_TO_LOWER=TRUE"
                + ";CASE_INSENSITIVE_IDENTIFIERS=TRUE;DB_CLOSE_ON_EXIT=FALSE");
  }

  @Test
  void a_password_in_a_url_or_a_message_quoting_one_is_masked() {
    assertThat(JdbcUrls.masked("jdbc:mysql://ns:hunter22@db:3306/ns?x=1"))
        .isEqualTo("jdbc:mysql://ns:******@db:3306/ns?x=1");
    assertThat(JdbcUrls.masked("jdbc:mariadb://db/ns?user=ns&password=hunter22&ssl=true"))
        .isEqualTo("jdbc:mariadb://db/ns?user=ns&password=******&ssl=true");
    assertThat(
            JdbcUrls.masked(
                "Failed to get driver instance for jdbcUrl=jdbc:mysql://db/ns?PASSWORD=s3cr3t"))
        .doesNotContain("s3cr3t");
    assertThat(JdbcUrls.masked("jdbc:h2:file:./data/ns;USER=sa;PASSWORD=topsecret"))
        .doesNotContain("topsecret");
    assertThat(JdbcUrls.masked("jdbc:mysql://db:3306/ns")).isEqualTo("jdbc:mysql://db:3306/ns");
  }

  @Test
  void a_refused_url_is_named_without_its_password() {
    assertThatThrownBy(() -> new DatabaseSettings("jdbc:postgresql://u:hunter22@db/ns", "u", "", 1))
        .hasMessageContaining("jdbc:postgresql://u:******@db/ns")
        .hasMessageNotContaining("hunter22");
  }
}
