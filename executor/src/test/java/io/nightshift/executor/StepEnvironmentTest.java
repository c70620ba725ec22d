package io.nightshift.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.executor.Outcome.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A step's environment is built from an allow-list; nothing else of the service's reaches it. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class StepEnvironmentTest {
  static final Set<String> SHELL_OWN = Set.of("PWD", "SHLVL", "_", "OLDPWD");
  final CollectingSink sink = new CollectingSink();
  @TempDir Path dir;

  Outcome run(ProcessExecutor executor, String script, Map<String, String> stepEnv)
      throws Exception {
    ProcessSpec spec =
        new ProcessSpec(
            List.of("sh", "-c", script), stepEnv, dir.resolve("w"), null, Set.of(), 10_000, 10_000);
    return executor.start(spec, sink).outcome().get(20, TimeUnit.SECONDS);
  }

  static Map<String, String> serviceWithSecrets() {
    Map<String, String> service = new HashMap<>(System.getenv());
    service.put("NIGHTSHIFT_ADMIN_TOKEN", "admin-token-canary");
    service.put("NIGHTSHIFT_DB_PASSWORD", "db-password-canary");
    service.put("AWS_SECRET_ACCESS_KEY", "cloud-key-canary");
    service.put("OPERATOR_EXTRA", "extra-value");
    service.put("HOME", "/home/service");
    service.put("LANG", "C.UTF-8");
    return service;
  }

  @Test
  void with_the_real_service_environment_a_step_sees_only_path_home_lang_tz_and_its_own_variables()
      throws Exception {
    ProcessExecutor executor = new ProcessExecutor(Clock.systemUTC(), Duration.ofMillis(200));
    Outcome outcome = run(executor, "env", Map.of("version", "1.2", "NIGHTSHIFT_RUN_ID", "7"));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    List<String> names = sink.stdout().stream().map(l -> l.split("=", 2)[0]).toList();
    assertThat(names).contains("PATH", "version", "NIGHTSHIFT_RUN_ID");
    assertThat(names)
        .allSatisfy(
            n ->
                assertThat(
                        StepEnvironment.ALWAYS.contains(n)
                            || SHELL_OWN.contains(n)
                            || n.equals("version")
                            || n.equals("NIGHTSHIFT_RUN_ID"))
                    .as("%s reached the step", n)
                    .isTrue());
  }

  @Test
  void service_secrets_reach_neither_env_nor_proc_self_environ_nor_a_child_that_clears_nothing()
      throws Exception {
    ProcessExecutor executor =
        new ProcessExecutor(
            Clock.systemUTC(),
            Duration.ofMillis(200),
            new StepEnvironment(Set.of(), serviceWithSecrets()));
    Outcome outcome =
        run(
            executor,
            "env; tr '\\0' '\\n' < /proc/self/environ; sh -c 'tr \"\\0\" \"\\n\" < /proc/$$/environ';"
                + " cat /proc/$PPID/environ 2>/dev/null | tr '\\0' '\\n' | grep -c canary || true",
            Map.of());

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    String all = String.join("\n", sink.stdout());
    assertThat(all)
        .doesNotContain("admin-token-canary", "db-password-canary", "cloud-key-canary")
        .doesNotContain("OPERATOR_EXTRA")
        .contains("HOME=/home/service", "LANG=C.UTF-8");
  }

  @Test
  void pass_env_names_more_variables_a_step_inherits_and_step_values_win_over_them()
      throws Exception {
    ProcessExecutor executor =
        new ProcessExecutor(
            Clock.systemUTC(),
            Duration.ofMillis(200),
            new StepEnvironment(Set.of("OPERATOR_EXTRA", "UNSET_ONE"), serviceWithSecrets()));
    run(executor, "env", Map.of("LANG", "de_DE.UTF-8"));

    assertThat(sink.stdout())
        .contains("OPERATOR_EXTRA=extra-value", "LANG=de_DE.UTF-8")
        .noneMatch(l -> l.startsWith("UNSET_ONE="))
        .noneMatch(l -> l.contains("canary"));
  }

  @Test
  void a_step_gets_a_default_path_when_the_service_has_none() {
    assertThat(new StepEnvironment(Set.of(), Map.of()).build(Map.of()))
        .containsEntry("PATH", StepEnvironment.DEFAULT_PATH)
        .hasSize(1);
  }

  @Test
  void a_pass_env_entry_that_is_not_a_variable_name_is_refused() {
    assertThatThrownBy(() -> new StepEnvironment(Set.of("A=B"), Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("A=B");
  }

  @Test
  void the_work_directory_and_a_script_file_are_owner_only() throws Exception {
    ProcessExecutor executor = new ProcessExecutor(Clock.systemUTC(), Duration.ofMillis(200));
    Path work = dir.resolve("w");
    Files.createDirectories(work);
    Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
    run(executor, "true", Map.of());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(work)))
        .isEqualTo("rwx------");
    ScriptFile script = ScriptFile.write(dir.resolve("s"), "sh", "echo hi");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("s"))))
        .isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(script.path())))
        .isEqualTo("rwx------");
  }

  @Test
  void work_dirs_of_runs_are_created_owner_only_and_deleted_with_their_contents() throws Exception {
    WorkDirs dirs = new WorkDirs(dir.resolve("root"));
    Path run = dirs.create(42);
    Files.createDirectories(run.resolve("a/b"));
    Files.writeString(run.resolve("a/b/f"), "x");
    for (Path p : List.of(dirs.root(), run.getParent(), run)) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
          .as(p.toString())
          .isEqualTo("rwx------");
    }
    dirs.delete(42);
    assertThat(run).doesNotExist();
    dirs.delete(42);
  }
}
