package io.nightshift.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.executor.Outcome.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A step cannot leave its container of processes: what it starts in a new session ({@code setsid
 * -f}), with an emptied environment ({@code env -i}), without the step's tag ({@code env -u
 * NIGHTSHIFT_STEP_RUN_ID}) or by a double fork is killed at step end, timeout and cancel. Runs as
 * root on a machine with a writable cgroup hierarchy (v2, or v1 freezer), and fails if there is
 * none rather than passing on the process-group fallback.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StepContainmentTest {
  static final String NODE = "test-" + UUID.randomUUID().toString().substring(0, 8);
  static final Cgroups CGROUPS = Cgroups.detect(NODE);

  final ProcessExecutor executor =
      new ProcessExecutor(
          Clock.systemUTC(), Duration.ofMillis(300), StepEnvironment.defaults(), CGROUPS);
  final CollectingSink sink = new CollectingSink();
  @TempDir Path dir;
  Path pidFile;
  StepProcess step;

  /** Escape variants: each starts {@code sleep} (its pid in $PIDFILE) out of the process group. */
  static Stream<Arguments> escapes() {
    String sleeper = "sh -c 'echo $$ > \"$PIDFILE\"; exec sleep 1000'";
    return Stream.of(
        Arguments.of("setsid -f", "setsid -f " + sleeper + " > /dev/null 2>&1"),
        Arguments.of("setsid -f holding stdout", "setsid -f " + sleeper),
        Arguments.of(
            "env -i", "env -i PIDFILE=\"$PIDFILE\" setsid -f " + sleeper + " > /dev/null 2>&1"),
        Arguments.of(
            "env -u NIGHTSHIFT_STEP_RUN_ID",
            "env -u NIGHTSHIFT_STEP_RUN_ID setsid -f " + sleeper + " > /dev/null 2>&1"),
        Arguments.of(
            "double fork into a new session",
            "( setsid " + sleeper + " > /dev/null 2>&1 & ) ; true"));
  }

  @AfterAll
  static void removeTheNodesFolder() {
    CGROUPS.close();
  }

  @AfterEach
  void killWhatEscaped() throws Exception {
    if (pidFile != null && Files.exists(pidFile)) {
      String text = Files.readString(pidFile).trim();
      if (!text.isEmpty()) {
        ProcessHandle.of(Long.parseLong(text)).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  @Test
  void this_machine_gives_each_step_a_cgroup() {
    assertThat(CGROUPS.kind()).as(CGROUPS.method()).isNotEqualTo(Cgroups.Kind.PROCESS_GROUP);
    assertThat(CGROUPS.method()).contains("cgroup");
  }

  /** As a command step runs: {@code /bin/sh -c script}, whose own shell joins the cgroup. */
  StepProcess start(String script, Duration timeout) throws Exception {
    return start(List.of("/bin/sh", "-c", script), timeout);
  }

  /** Any other argv (a script step's interpreter): a shell joins the cgroup, then execs it. */
  StepProcess start(List<String> argv, Duration timeout) throws Exception {
    pidFile = dir.resolve("escaped.pid");
    ProcessSpec spec =
        new ProcessSpec(
            argv,
            Map.of("PIDFILE", pidFile.toString(), "NIGHTSHIFT_STEP_RUN_ID", "4242"),
            dir.resolve("work"),
            timeout,
            Set.of(),
            10_000,
            10_000);
    step = executor.start(spec, sink);
    return step;
  }

  long escapedPid() {
    await()
        .atMost(20, TimeUnit.SECONDS)
        .until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
    try {
      return Long.parseLong(Files.readString(pidFile).trim());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("escapes")
  void what_escaped_the_process_group_is_killed_when_the_step_ends(String name, String escape)
      throws Exception {
    StepProcess step = start(escape + "; until [ -s \"$PIDFILE\" ]; do :; done; echo done", null);
    Outcome outcome = step.outcome().get(30, TimeUnit.SECONDS);
    long pid = escapedPid();

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(Procs.running(pid)).as("escaped process %d after the step ended", pid).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("escapes")
  void what_escaped_the_process_group_is_killed_when_the_step_times_out(String name, String escape)
      throws Exception {
    StepProcess step = start(escape + "; sleep 1000", Duration.ofSeconds(2));
    long pid = escapedPid();
    Outcome outcome = step.outcome().get(30, TimeUnit.SECONDS);

    assertThat(outcome.status()).isEqualTo(Status.TIMED_OUT);
    assertThat(Procs.running(pid)).as("escaped process %d after the timeout", pid).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("escapes")
  void what_escaped_the_process_group_is_killed_when_the_step_is_canceled(
      String name, String escape) throws Exception {
    StepProcess step = start(escape + "; sleep 1000", null);
    long pid = escapedPid();
    step.cancel();
    Outcome outcome = step.outcome().get(30, TimeUnit.SECONDS);

    assertThat(outcome.status()).isEqualTo(Status.CANCELED);
    assertThat(Procs.running(pid)).as("escaped process %d after cancel", pid).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("escapes")
  void what_escaped_a_step_lost_by_an_earlier_incarnation_is_killed_at_the_next_start(
      String name, String escape) throws Exception {
    StepProcess step = start(escape + "; sleep 1000", null);
    long pid = escapedPid();
    // The service died: nothing will end this step. Its next incarnation (same node name) finds
    // the attempt lost and kills what its cgroup still holds, group and tag or not.
    ProcessExecutor next =
        new ProcessExecutor(
            Clock.systemUTC(),
            Duration.ofMillis(300),
            StepEnvironment.defaults(),
            Cgroups.detect(NODE));
    assertThat(next.killLeftovers(4242)).isGreaterThanOrEqualTo(1);

    await()
        .atMost(20, TimeUnit.SECONDS)
        .untilAsserted(
            () -> assertThat(Procs.running(pid)).as("escaped process %d", pid).isFalse());
    assertThat(step.outcome().get(30, TimeUnit.SECONDS).status()).isNotEqualTo(Status.SUCCEEDED);
  }

  @Test
  void a_later_incarnation_finds_the_steps_left_in_its_cgroups_and_by_their_tags()
      throws Exception {
    // The pid file is written after the step's shell joined its cgroup (its script's first line).
    StepProcess step = start("echo $$ > \"$PIDFILE\"; exec sleep 1000", null);
    escapedPid();
    ProcessExecutor next =
        new ProcessExecutor(
            Clock.systemUTC(),
            Duration.ofMillis(300),
            StepEnvironment.defaults(),
            Cgroups.detect(NODE));
    assertThat(next.leftoverSteps()).contains(4242L);
    assertThat(ProcessGroups.taggedEnvironments(Map.of("PIDFILE", pidFile.toString())))
        .extracting(env -> env.get("NIGHTSHIFT_STEP_RUN_ID"))
        .containsOnly("4242");

    assertThat(next.killLeftovers(4242)).isGreaterThanOrEqualTo(1);
    assertThat(step.outcome().get(30, TimeUnit.SECONDS).status()).isNotEqualTo(Status.SUCCEEDED);
    await().atMost(20, TimeUnit.SECONDS).until(() -> !next.leftoverSteps().contains(4242L));
  }

  @Test
  void a_step_cgroup_whose_service_still_runs_is_not_a_leftover() throws Exception {
    // Made by a live service (pid 1 stands in for another installation's node of the same name).
    Path live = CGROUPS.base().resolve("step-4243-1-1");
    Files.createDirectory(live);
    Process step = new ProcessBuilder("setsid", "sleep", "1000").start();
    try {
      Files.writeString(live.resolve("cgroup.procs"), String.valueOf(step.pid()));
      assertThat(CGROUPS.leftoverSteps()).doesNotContain(4243L);
      assertThat(CGROUPS.killLeftovers(4243)).isZero();
      assertThat(step.isAlive()).isTrue();
    } finally {
      step.destroyForcibly().waitFor();
      Files.delete(live);
    }
  }

  @Test
  void a_program_that_is_not_a_shell_command_is_held_by_the_cgroup_too() throws Exception {
    String escape = "setsid -f sh -c 'echo $$ > \"$PIDFILE\"; exec sleep 1000' > /dev/null 2>&1";
    StepProcess step =
        start(
            List.of("sh", "-c", escape + "; until [ -s \"$PIDFILE\" ]; do :; done; echo done"),
            null);
    Outcome outcome = step.outcome().get(30, TimeUnit.SECONDS);
    long pid = escapedPid();

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.stdout()).containsExactly("done");
    assertThat(Procs.running(pid)).as("escaped process %d after the step ended", pid).isFalse();
  }

  @Test
  void a_command_runs_in_its_cgroup_and_sees_the_shell_it_would_see_without_one() throws Exception {
    StepProcess step =
        start("echo \"$0 $#\"; cat /proc/$$/cgroup; no-such-program-here; true", null);
    Outcome outcome = step.outcome().get(30, TimeUnit.SECONDS);

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.stdout().get(0)).isEqualTo("/bin/sh 0");
    assertThat(sink.stdout()).anySatisfy(line -> assertThat(line).contains("/step-4242-"));
    // dash: "/bin/sh: 1: no-such-program-here: not found"; bash: "... line 1: ...: command not
    // found"
    assertThat(sink.stderr())
        .singleElement()
        .satisfies(
            line -> assertThat(line).contains("1: no-such-program-here: ").endsWith("not found"));
  }

  @Test
  void the_steps_cgroup_is_removed_after_the_step() throws Exception {
    StepProcess step = start("echo hi", null);
    step.outcome().get(30, TimeUnit.SECONDS);
    String method = CGROUPS.method();
    Path base = Path.of(method.substring(method.indexOf(" under ") + " under ".length()));
    try (Stream<Path> left = Files.list(base)) {
      assertThat(left.filter(Files::isDirectory)).isEmpty();
    }
  }
}
