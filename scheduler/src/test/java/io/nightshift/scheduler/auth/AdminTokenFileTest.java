package io.nightshift.scheduler.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdminTokenFileTest {
  @Test
  void the_embedded_store_keeps_admin_token_and_a_mysql_store_a_file_naming_it() {
    assertThat(AdminToken.fileName("jdbc:h2:file:./data/ns;MODE=MySQL")).isEqualTo("admin.token");
    assertThat(AdminToken.fileName("jdbc:mysql://127.0.0.1:3306/nightshift?x=1"))
        .isEqualTo("admin-127.0.0.1_3306_nightshift.token");
    assertThat(AdminToken.fileName("jdbc:mariadb://u:pw@db.example:3307/ops"))
        .isEqualTo("admin-db.example_3307_ops.token");
  }
}
