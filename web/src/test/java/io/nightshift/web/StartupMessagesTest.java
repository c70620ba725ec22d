package io.nightshift.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.web.config.Config;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A start-up failure line never shows a configured secret, whatever quotes it. */
class StartupMessagesTest {
  static final String OLD_KEY = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

  static Config config() {
    return TestServer.config(
            Path.of("/tmp/nowhere"),
            new DatabaseSettings("jdbc:mysql://db:3306/ns", "ns", "db-pass-0001", 10),
            "redis://:redis-pass-0001@cache:6379")
        .withSecrets(new Config.Secrets(TestServer.SECRETS_KEY, null, List.of(OLD_KEY)));
  }

  @Test
  void configured_secrets_in_a_start_up_message_are_masked() {
    String message =
        "cannot connect to jdbc:mysql://ns:db-pass-0001@db:3306/ns (password db-pass-0001),"
            + " redis://:redis-pass-0001@cache:6379, token "
            + TestServer.ADMIN_TOKEN
            + ", key "
            + TestServer.SECRETS_KEY
            + " and "
            + OLD_KEY;

    String shown = Main.withoutSecrets(message, config());

    assertThat(shown)
        .doesNotContain("db-pass-0001")
        .doesNotContain("redis-pass-0001")
        .doesNotContain(TestServer.ADMIN_TOKEN)
        .doesNotContain(TestServer.SECRETS_KEY)
        .doesNotContain(OLD_KEY)
        .contains("redis://******@cache:6379")
        .contains("jdbc:mysql://ns:******@db:3306/ns");
  }
}
