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
                "NIGHTSHIFT_ADMIN_TOKEN", "tok-0123456789abcdef"));
    assertThat(config.http().port()).isEqualTo(9191);
    assertThat(config.db().url()).isEqualTo("jdbc:mysql://db:3306/ns");
    assertThat(config.db().password()).isEqualTo("s3cret");
    assertThat(config.redis().url()).isEqualTo("redis://cache:6379");
    assertThat(config.auth().adminToken()).isEqualTo("tok-0123456789abcdef");
  }

  @Test
  void the_stall_grace_defaults_to_three_sweep_periods_and_can_be_set() throws IOException {
    Config shipped = ConfigLoader.load(Path.of("../conf/nightshift.yaml"), Map.of());
    assertThat(shipped.cluster().stallGraceSeconds()).isEqualTo(15);
    Config derived =
        ConfigLoader.load(
            write("db:\n  url: jdbc:h2:mem:x\ncluster:\n  sweepSeconds: 2\n"), Map.of());
    assertThat(derived.cluster().stallGraceSeconds()).isEqualTo(6);
    Config set =
        ConfigLoader.load(
            write("db:\n  url: jdbc:h2:mem:x\ncluster:\n  stallGraceSeconds: 40\n"), Map.of());
    assertThat(set.cluster().stallGraceSeconds()).isEqualTo(40);
    Path zero = write("db:\n  url: jdbc:h2:mem:x\ncluster:\n  stallGraceSeconds: 0\n");
    assertThatThrownBy(() -> ConfigLoader.load(zero, Map.of()))
        .hasMessageStartingWith("cluster.stallGraceSeconds:");
  }

  @Test
  void the_cron_log_is_kept_90_days_unless_set() throws IOException {
    Config shipped = ConfigLoader.load(Path.of("../conf/nightshift.yaml"), Map.of());
    assertThat(shipped.logs().fireRetentionDays()).isEqualTo(90);
    Config set =
        ConfigLoader.load(
            write("db:\n  url: jdbc:h2:mem:x\nlogs:\n  fireRetentionDays: 400\n"), Map.of());
    assertThat(set.logs().fireRetentionDays()).isEqualTo(400);
    Path zero = write("db:\n  url: jdbc:h2:mem:x\nlogs:\n  fireRetentionDays: 0\n");
    assertThatThrownBy(() -> ConfigLoader.load(zero, Map.of()))
        .hasMessageStartingWith("logs.fireRetentionDays:");
  }

  @Test
  void ended_runs_are_kept_a_year_unless_set_and_0_keeps_them_all() throws IOException {
    Config shipped = ConfigLoader.load(Path.of("../conf/nightshift.yaml"), Map.of());
    assertThat(shipped.runs().retentionDays()).isEqualTo(365);
    Config mysql = ConfigLoader.load(Path.of("../conf/nightshift-mysql.yaml"), Map.of());
    assertThat(mysql.runs().retentionDays()).isEqualTo(365);
    Config unset = ConfigLoader.load(write("db:\n  url: jdbc:h2:mem:x\n"), Map.of());
    assertThat(unset.runs().retentionDays()).isEqualTo(365);
    Config forever =
        ConfigLoader.load(
            write("db:\n  url: jdbc:h2:mem:x\nruns:\n  retentionDays: 0\n"), Map.of());
    assertThat(forever.runs().retentionDays()).isZero();
    Path negative = write("db:\n  url: jdbc:h2:mem:x\nruns:\n  retentionDays: -1\n");
    assertThatThrownBy(() -> ConfigLoader.load(negative, Map.of()))
        .hasMessageStartingWith("runs.retentionDays:");
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

  /** Before, the second port silently won (found by hand). */
  @Test
  void a_key_written_twice_is_refused() throws IOException {
    assertThatThrownBy(
            () -> ConfigLoader.load(write("http:\n  port: 8080\n  port: 9090\n"), Map.of()))
        .hasMessageEndingWith("is not valid YAML: found duplicate key port (line 3)");
  }

  @Test
  void a_missing_database_url_is_the_embedded_store_in_the_data_dir_and_a_foreign_one_is_named()
      throws IOException {
    assertThat(ConfigLoader.load(write("http:\n  port: 1\n"), Map.of()).db().url())
        .isEqualTo("jdbc:h2:file:./data/nightshift");
    assertThat(ConfigLoader.defaults(Map.of("NIGHTSHIFT_DATA_DIR", "/srv/ns")).db().url())
        .isEqualTo("jdbc:h2:file:/srv/ns/nightshift");
    assertThat(ConfigLoader.defaults(Map.of()).http().port()).isEqualTo(8080);
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

  @Test
  void a_work_dir_inside_the_data_dir_is_refused_naming_the_key() throws IOException {
    for (String workDir : new String[] {"data/work", "data", "./data/../data/x", "."}) {
      Path file =
          write(
              "dataDir: data\ndb:\n  url: jdbc:h2:mem:x\nexecutor:\n  workDir: " + workDir + "\n");
      assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
          .as(workDir)
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("executor.workDir: ");
    }
  }

  @Test
  void by_default_work_dirs_are_a_folder_of_the_node_under_the_temp_dir_outside_the_data_dir()
      throws IOException {
    Path file = write("node: web-1\ndataDir: data\ndb:\n  url: jdbc:h2:mem:x\n");
    Config config = ConfigLoader.load(file, Map.of());
    assertThat(config.localName()).matches("web-1-[0-9a-f]{8}");
    assertThat(config.executor().workDirOf(config.localName()))
        .isEqualTo(
            Path.of(System.getProperty("java.io.tmpdir"), "nightshift-" + config.localName())
                .toAbsolutePath());
    assertThat(config.executor().passEnv()).isEmpty();
    assertThat(config.executor().keepWorkDirs()).isFalse();
  }

  @Test
  void ends_kept_through_an_outage_go_to_a_folder_of_the_node_inside_the_data_dir()
      throws IOException {
    java.util.Set<Path> folders = new java.util.HashSet<>();
    for (String node : new String[] {"web-1", "a/b", "a_b", "..", "."}) {
      Config config =
          ConfigLoader.load(
              write("node: '" + node + "'\ndataDir: data\ndb:\n  url: jdbc:h2:mem:x\n"), Map.of());
      Path folder = config.stepEndsDir().normalize();
      assertThat(folder.getParent())
          .as(node)
          .isEqualTo(config.dataDir().resolve("step-ends").normalize());
      folders.add(folder);
    }
    assertThat(folders).as("no two names share a folder").hasSize(5);
  }

  @Test
  void nodes_of_one_name_on_two_data_directories_get_folders_of_their_own_and_keep_them()
      throws IOException {
    Config staging =
        ConfigLoader.load(
            write("node: web-1\ndataDir: staging\ndb:\n  url: jdbc:h2:mem:x\n"), Map.of());
    Config production =
        ConfigLoader.load(
            write("node: web-1\ndataDir: prod\ndb:\n  url: jdbc:h2:mem:x\n"), Map.of());
    Config stagingAgain =
        ConfigLoader.load(
            write("node: web-1\ndataDir: staging\ndb:\n  url: jdbc:h2:mem:x\n"), Map.of());

    assertThat(staging.node()).isEqualTo(production.node());
    assertThat(staging.localName()).isNotEqualTo(production.localName());
    assertThat(staging.executor().workDirOf(staging.localName()))
        .isNotEqualTo(production.executor().workDirOf(production.localName()));
    assertThat(stagingAgain.localName())
        .as("a restart on the same data directory finds its folders (and its leftover steps)")
        .isEqualTo(staging.localName());
  }

  @Test
  void pass_env_takes_a_list_or_a_comma_separated_string_and_refuses_a_non_name()
      throws IOException {
    Path list = write("db:\n  url: jdbc:h2:mem:x\nexecutor:\n  passEnv: [JAVA_HOME, PGHOST]\n");
    assertThat(ConfigLoader.load(list, Map.of()).executor().passEnv())
        .containsExactly("JAVA_HOME", "PGHOST");
    Path text = write("db:\n  url: jdbc:h2:mem:x\nexecutor:\n  passEnv: \"A, B\"\n");
    assertThat(ConfigLoader.load(text, Map.of()).executor().passEnv()).containsExactly("A", "B");
    Path bad = write("db:\n  url: jdbc:h2:mem:x\nexecutor:\n  passEnv: [\"X=1\"]\n");
    assertThatThrownBy(() -> ConfigLoader.load(bad, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("executor.passEnv: ");
  }

  @Test
  void an_admin_token_shorter_than_16_characters_is_refused_from_the_file_or_the_environment()
      throws IOException {
    Path file = write("db:\n  url: jdbc:h2:mem:x\nauth:\n  adminToken: short-secret\n");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("auth.adminToken: must be at least 16 characters")
        .hasMessageNotContaining("short-secret");
    Path plain = write("db:\n  url: jdbc:h2:mem:x\n");
    assertThatThrownBy(
            () -> ConfigLoader.load(plain, Map.of("NIGHTSHIFT_ADMIN_TOKEN", "123456789012345")))
        .hasMessageStartingWith("auth.adminToken: ");
    assertThat(
            ConfigLoader.load(plain, Map.of("NIGHTSHIFT_ADMIN_TOKEN", "1234567890123456"))
                .auth()
                .adminToken())
        .isEqualTo("1234567890123456");
  }

  @Test
  void nightshift_data_dir_moves_the_embedded_h2_file_with_the_token_file() {
    Path moved = dir.resolve("elsewhere");
    Config config =
        ConfigLoader.load(
            Path.of("../conf/nightshift.yaml"), Map.of("NIGHTSHIFT_DATA_DIR", moved.toString()));
    assertThat(config.dataDir()).isEqualTo(moved);
    assertThat(config.db().url()).startsWith("jdbc:h2:file:" + moved.resolve("nightshift") + ";");
    Config plain = ConfigLoader.load(Path.of("../conf/nightshift.yaml"), Map.of());
    assertThat(plain.db().url()).startsWith("jdbc:h2:file:./data/nightshift;");
  }

  @Test
  void without_node_the_name_is_left_for_the_node_to_claim_at_start() throws IOException {
    Path file = write("db:\n  url: jdbc:h2:mem:x\n");
    assertThat(ConfigLoader.load(file, Map.of()).node()).isNull();
    assertThat(ConfigLoader.load(file, Map.of("NIGHTSHIFT_NODE", "web-2")).node())
        .isEqualTo("web-2");
  }
}
