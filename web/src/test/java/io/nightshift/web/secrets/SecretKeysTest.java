package io.nightshift.web.secrets;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.StartupFailure;
import io.nightshift.web.TestServer;
import io.nightshift.web.config.Config;
import io.nightshift.web.config.ConfigException;
import io.nightshift.web.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Where the secrets key comes from, and what a node does without the right one. */
class SecretKeysTest {
  static final String OTHER_KEY = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";

  static Path tempDir() throws Exception {
    return TempFolders.create("nightshift-keys-");
  }

  static void storeSecretTemplate(TestServer server, String secret) {
    String template =
        """
        {"name": "keyed", "params": [{"name": "password", "secret": true, "default": "%s"}],
         "steps": [{"name": "s", "kind": "command", "command": "true"}]}
        """
            .formatted(secret);
    assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, template).status()).isEqualTo(201);
  }

  @Test
  void the_embedded_store_generates_its_key_file_0600_and_reads_its_secrets_after_a_restart()
      throws Exception {
    Path dataDir = tempDir();
    Config config = TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null);
    String secret = "default-" + UUID.randomUUID();
    try (TestServer server = TestServer.start(config)) {
      storeSecretTemplate(server, secret);
    }
    Path keyFile = dataDir.resolve("secrets.key");
    assertThat(keyFile).exists();
    assertThat(Files.getPosixFilePermissions(keyFile))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.readString(keyFile).trim()).hasSize(44);

    try (TestServer again = TestServer.start(config)) {
      assertThat(again.get("/api/v1/templates/keyed", ADMIN_TOKEN).status()).isEqualTo(200);
    }
  }

  @Test
  void a_node_without_the_key_of_its_stored_secrets_refuses_to_start_naming_the_key()
      throws Exception {
    Path dataDir = tempDir();
    Config config = TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null);
    try (TestServer server = TestServer.start(config)) {
      storeSecretTemplate(server, "default-" + UUID.randomUUID());
    }
    String keyId =
        io.nightshift.scheduler.secrets.SecretCipher.keyId(
            java.util.Base64.getDecoder()
                .decode(Files.readString(dataDir.resolve("secrets.key")).trim()));
    Config wrong = config.withSecrets(new Config.Secrets(OTHER_KEY, null, List.of()));

    assertThatThrownBy(() -> TestServer.start(wrong))
        .isInstanceOf(StartupFailure.class)
        .hasMessageStartingWith("secrets.key: stored secrets were encrypted with key " + keyId)
        .hasMessageContaining("secrets.oldKeys");

    // Listed as an old key, the node starts and reads them.
    Config rotated =
        config.withSecrets(
            new Config.Secrets(
                OTHER_KEY, null, List.of(Files.readString(dataDir.resolve("secrets.key")).trim())));
    try (TestServer server = TestServer.start(rotated)) {
      assertThat(server.get("/api/v1/templates/keyed", ADMIN_TOKEN).status()).isEqualTo(200);
    }
  }

  @Test
  void a_mysql_store_without_a_key_refuses_to_start_saying_how_to_give_one() throws Exception {
    Path dataDir = tempDir();
    Config config =
        TestServer.config(dataDir, TestDatabases.cleanMysql(), null)
            .withSecrets(Config.Secrets.defaults());

    assertThatThrownBy(() -> TestServer.start(config))
        .isInstanceOf(StartupFailure.class)
        .hasMessageStartingWith("secrets.key: a MySQL store needs the key")
        .hasMessageContaining("NIGHTSHIFT_SECRETS_KEY");
    assertThat(dataDir.resolve("secrets.key")).doesNotExist();
  }

  @Test
  void keys_come_from_the_environment_and_a_bad_one_is_named_without_being_repeated()
      throws Exception {
    Path file = tempDir().resolve("nightshift.yaml");
    Files.writeString(file, "db:\n  url: jdbc:mysql://db:3306/ns\n");

    Config config =
        ConfigLoader.load(
            file,
            Map.of(
                "NIGHTSHIFT_SECRETS_KEY",
                TestServer.SECRETS_KEY,
                "NIGHTSHIFT_SECRETS_OLD_KEYS",
                OTHER_KEY));
    assertThat(config.secrets().key()).isEqualTo(TestServer.SECRETS_KEY);
    assertThat(config.secrets().oldKeys()).containsExactly(OTHER_KEY);

    assertThatThrownBy(
            () -> ConfigLoader.load(file, Map.of("NIGHTSHIFT_SECRETS_KEY", "c2hvcnQta2V5")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("secrets.key (NIGHTSHIFT_SECRETS_KEY): must be the base64 of 32")
        .hasMessageNotContaining("c2hvcnQta2V5");
    Files.writeString(
        file, "db:\n  url: jdbc:mysql://db:3306/ns\nsecrets:\n  oldKeys: [\"not base64!\"]\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("secrets.oldKeys[0]:")
        .hasMessageNotContaining("not base64!");
  }
}
