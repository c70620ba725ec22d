package io.nightshift.web.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  Path write(String yaml) throws IOException {
    Path file = dir.resolve("nightshift.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  @Test
  void the_shipped_embedded_and_mysql_configs_load() {
    Config embedded = ConfigLoader.load(Path.of("../conf/nightshift.yaml"), Map.of());
    assertThat(embedded.db().embedded()).isTrue();
    assertThat(embedded.redis().enabled()).isFalse();
    assertThat(embedded.http().port()).isEqualTo(8080);

    Config mysql = ConfigLoader.load(Path.of("../conf/nightshift-mysql.yaml"), Map.of());
    assertThat(mysql.db().embedded()).isFalse();
    assertThat(mysql.redis().url()).isEqualTo("redis://127.0.0.1:6379");
  }

  @Test
  void environment_variables_override_single_keys() throws IOException {
    Path file = write("db:\n  url: jdbc:h2:mem:x\nhttp:\n  port: 8080\n");
    Config config =
        ConfigLoader.load(
            file,
            Map.of(
                "NIGHTSHIFT_HTTP_PORT", "9191",
                "NIGHTSHIFT_DB_URL", "jdbc:mysql://db:3306/ns",
                "NIGHTSHIFT_DB_PASSWORD", "s3cret",
                "NIGHTSHIFT_REDIS_URL", "redis://cache:6379",
                "NIGHTSHIFT_ADMIN_TOKEN", "tok"));
    assertThat(config.http().port()).isEqualTo(9191);
    assertThat(config.db().url()).isEqualTo("jdbc:mysql://db:3306/ns");
    assertThat(config.db().password()).isEqualTo("s3cret");
    assertThat(config.redis().url()).isEqualTo("redis://cache:6379");
    assertThat(config.auth().adminToken()).isEqualTo("tok");
  }

  @Test
  void an_unknown_key_is_named() throws IOException {
    Path file = write("db:\n  url: jdbc:h2:mem:x\nhttp:\n  prot: 80\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("http.prot: unknown key");
  }

  @Test
  void a_bad_value_is_named() throws IOException {
    Path file = write("db:\n  url: jdbc:h2:mem:x\nhttp:\n  port: eighty\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .hasMessage("http.port: must be a whole number, got 'eighty'");
    Path range = write("db:\n  url: jdbc:h2:mem:x\n  poolSize: 0\n");
    assertThatThrownBy(() -> ConfigLoader.load(range, Map.of()))
        .hasMessageStartingWith("db.poolSize:");
    Path redis = write("db:\n  url: jdbc:h2:mem:x\nredis:\n  url: localhost:6379\n");
    assertThatThrownBy(() -> ConfigLoader.load(redis, Map.of()))
        .hasMessageStartingWith("redis.url:");
  }

  @Test
  void a_missing_or_foreign_database_url_is_named() throws IOException {
    assertThatThrownBy(() -> ConfigLoader.load(write("http:\n  port: 1\n"), Map.of()))
        .hasMessageStartingWith("db.url: is required");
    assertThatThrownBy(
            () -> ConfigLoader.load(write("db:\n  url: jdbc:postgresql://x/y\n"), Map.of()))
        .hasMessageStartingWith("db.url:");
  }

  @Test
  void a_missing_file_or_broken_yaml_says_so() throws IOException {
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("absent.yaml"), Map.of()))
        .hasMessageContaining("absent.yaml not found");
    assertThatThrownBy(() -> ConfigLoader.load(write("db: [unclosed\n"), Map.of()))
        .hasMessageContaining("not valid YAML");
  }
}
