package io.nightshift.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release archive that {@code mvn package} builds, unpacked into a temporary folder and started
 * through {@code bin/nightshift} from another working directory, as an operator installs it.
 */
class ReleaseArchiveIT {
  @TempDir Path install;
  @TempDir Path elsewhere;
  Path home;

  @BeforeEach
  void unpack() throws Exception {
    Path archive;
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      archive =
          files
              .filter(p -> p.getFileName().toString().matches("nightshift-.*\\.tar\\.gz"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no release archive in web/target"));
    }
    Process tar =
        new ProcessBuilder(
                "tar", "-xzf", archive.toAbsolutePath().toString(), "-C", install.toString())
            .inheritIO()
            .start();
    assertThat(tar.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(tar.exitValue()).isZero();
    try (Stream<Path> top = Files.list(install)) {
      home = top.findFirst().orElseThrow();
    }
  }

  @Test
  void the_archive_holds_the_launcher_the_configs_the_libraries_and_the_jar() throws Exception {
    assertThat(home.getFileName().toString()).startsWith("nightshift-");
    assertThat(Files.isExecutable(home.resolve("bin/nightshift"))).isTrue();
    assertThat(home.resolve("conf/nightshift.yaml")).exists();
    assertThat(home.resolve("conf/nightshift-mysql.yaml")).exists();
    assertThat(home.resolve("conf/logback.xml")).exists();
    // The archive's log configuration is the jar's: brief connection-pool warnings included.
    assertThat(java.nio.file.Files.readString(home.resolve("conf/logback.xml")))
        .isEqualTo(
            new String(
                Main.class.getResourceAsStream("/logback.xml").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8));
    assertThat(home.resolve("nightshift.jar")).exists();
    assertThat(home.resolve("systemd/nightshift.service")).content().contains("LimitNOFILE=");
    assertThat(home.resolve("lib").toFile().list()).anyMatch(n -> n.startsWith("vertx-core"));
  }

  @Test
  void started_from_another_folder_it_keeps_its_data_in_the_install_folder_and_serves()
      throws Exception {
    Path log = elsewhere.resolve("out.log");
    Process process = launch(log, List.of()).start();
    try {
      Awaitility.await()
          .atMost(90, TimeUnit.SECONDS)
          .until(
              () -> {
                assertThat(process.isAlive()).as(() -> read(log)).isTrue();
                return read(log).contains("nightshift: ready on");
              });
      Matcher port = Pattern.compile("ready on http://[^:]+:(\\d+)").matcher(read(log));
      assertThat(port.find()).isTrue();
      String token = Files.readString(home.resolve("data/admin.token")).strip();

      HttpResponse<String> templates =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + port.group(1) + "/api/v1/templates"))
                      .header("Authorization", "Bearer " + token)
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(templates.statusCode()).isEqualTo(200);
      assertThat(home.resolve("data")).isDirectoryContaining("glob:**/nightshift.mv.db");
      assertThat(elsewhere.resolve("data")).doesNotExist();
    } finally {
      process.destroy();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(read(log)).contains("nightshift: stopped");
  }

  @Test
  void the_launcher_passes_its_arguments_on_to_the_jar() throws Exception {
    Path log = elsewhere.resolve("args.log");
    Process process = launch(log, List.of("--config", "relative-to-the-shell.yaml")).start();
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(read(log)).contains("config file relative-to-the-shell.yaml not found");
  }

  private ProcessBuilder launch(Path log, List<String> args) {
    List<String> command = new java.util.ArrayList<>();
    command.add(home.resolve("bin/nightshift").toString());
    command.addAll(args);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(elsewhere.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().put("NIGHTSHIFT_HTTP_PORT", "0");
    builder.environment().put("JAVA_OPTS", "-Xmx256m");
    builder.environment().remove("NIGHTSHIFT_CONFIG");
    builder.environment().remove("NIGHTSHIFT_DATA_DIR");
    builder.environment().remove("NIGHTSHIFT_DB_URL");
    return builder;
  }

  private static String read(Path log) {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
