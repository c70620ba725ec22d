package io.nightshift.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up as an operator sees it: a separate JVM, its exit status and its output. */
class MainTest {
  @TempDir Path dir;

  Process java(String... args) throws IOException {
    return java(java.util.Map.of(), args);
  }

  Process java(java.util.Map<String, String> env, String... args) throws IOException {
    List<String> command = NodeJvm.command(List.of(), args);
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("out.log").toFile());
    builder.environment().putAll(env);
    return builder.start();
  }

  @Test
  void bad_config_stops_start_up_with_one_line_naming_the_key() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "db:\n  url: jdbc:h2:mem:x\nhttp:\n  port: 99999\n");
    Process process = java("--config", file.toString());
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = Files.readString(dir.resolve("out.log"), StandardCharsets.UTF_8);

    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(output.strip().lines()).hasSize(1);
    assertThat(output).contains("http.port: must be between 0 and 65535, got 99999");
  }

  @Test
  void a_missing_config_file_stops_start_up() throws Exception {
    Process process = java("--config", "nowhere.yaml");
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String output = Files.readString(dir.resolve("out.log"), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).isEqualTo(2);
    assertThat(output).contains("nowhere.yaml not found");
  }

  /**
   * Started in a folder with no config file (and none named): the built-in defaults, the embedded
   * store under data/ (before, it refused to start: "conf/nightshift.yaml not found").
   */
  @Test
  void first_start_with_no_config_file_uses_the_defaults_and_writes_the_admin_token_0600()
      throws Exception {
    Process process = java(java.util.Map.of("NIGHTSHIFT_HTTP_PORT", "0"));
    try {
      Path token = dir.resolve("data/admin.token");
      org.awaitility.Awaitility.await()
          .atMost(60, TimeUnit.SECONDS)
          .until(() -> Files.readString(dir.resolve("out.log")).contains("nightshift: ready on"));
      assertThat(Files.getPosixFilePermissions(token))
          .containsExactlyInAnyOrder(
              java.nio.file.attribute.PosixFilePermission.OWNER_READ,
              java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    } finally {
      process.destroy();
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
    String output = Files.readString(dir.resolve("out.log"), StandardCharsets.UTF_8);
    String secret = Files.readString(dir.resolve("data/admin.token")).trim();
    assertThat(output).contains("built-in defaults");
    assertThat(dir.resolve("data/nightshift.mv.db")).exists();
    assertThat(output).contains("written to").contains("admin.token");
    assertThat(output).as("the secret itself is never printed").doesNotContain(secret);
    assertThat(output).contains("stopped");
  }

  @Test
  void a_busy_port_exits_at_once_with_one_line_and_writes_nothing() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket()) {
      taken.setReuseAddress(true);
      taken.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
      int port = taken.getLocalPort();
      Path file = dir.resolve("busy.yaml");
      Files.writeString(
          file,
          "dataDir: data\nhttp:\n  host: 127.0.0.1\n  port: "
              + port
              + "\ndb:\n  url: \"jdbc:h2:file:./data/ns;MODE=MySQL;DATABASE_TO_LOWER=TRUE;CASE_INSENSITIVE_IDENTIFIERS=TRUE\"\n");
      Process process = java("--config", file.toString());
      // A hang check: the bound is generous, the exit is expected within a few seconds.
      boolean exited = process.waitFor(60, TimeUnit.SECONDS);
      if (!exited) {
        process.destroyForcibly();
      }
      String output = Files.readString(dir.resolve("out.log"), StandardCharsets.UTF_8);
      assertThat(exited).as("still running on a busy port: %s", output).isTrue();
      assertThat(process.exitValue()).isNotZero();
      assertThat(output.lines().filter(l -> l.startsWith("nightshift:")))
          .containsExactly("nightshift: cannot listen on 127.0.0.1:" + port + ": address in use");
      assertThat(output).doesNotContain("Exception");
      assertThat(dir.resolve("data")).as("nothing written before it can serve").doesNotExist();
    }
  }

  @Test
  void an_unreachable_store_exits_with_one_line_naming_it_without_its_password() throws Exception {
    Path file = dir.resolve("nodb.yaml");
    Files.writeString(
        file,
        "dataDir: data\nhttp:\n  port: 0\ndb:\n  url: \"jdbc:mysql://127.0.0.1:1/nowhere\"\n"
            + "  user: someone\n  password: \"pw-0123456789\"\n");
    Process process =
        java(
            java.util.Map.of(
                "NIGHTSHIFT_SECRETS_KEY",
                java.util.Base64.getEncoder().encodeToString(new byte[32])),
            "--config",
            file.toString());
    boolean exited = process.waitFor(60, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    String output = Files.readString(dir.resolve("out.log"), StandardCharsets.UTF_8);
    assertThat(exited).as("still running: %s", output).isTrue();
    assertThat(process.exitValue()).isNotZero();
    List<String> lines = output.lines().filter(l -> l.startsWith("nightshift:")).toList();
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0))
        .startsWith("nightshift: cannot open the store jdbc:mysql://127.0.0.1:1/nowhere: ")
        .contains("Connection refused");
    assertThat(output).doesNotContain("pw-0123456789").doesNotContain("Exception");
    assertThat(dir.resolve("data").resolve("admin.token")).doesNotExist();
  }
}
