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
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProcessExecutorTest {
  private static final Duration GRACE = Duration.ofMillis(300);

  private final ProcessExecutor executor = new ProcessExecutor(Clock.systemUTC(), GRACE);
  private final CollectingSink sink = new CollectingSink();

  @TempDir Path dir;

  private ProcessSpec sh(String script) {
    return spec(List.of("sh", "-c", script), Map.of(), null, Set.of(), 10_000, 1_000);
  }

  private ProcessSpec spec(
      List<String> argv,
      Map<String, String> env,
      Duration timeout,
      Set<String> secrets,
      long maxLines,
      int maxLineLength) {
    return new ProcessSpec(argv, env, dir, timeout, secrets, maxLines, maxLineLength);
  }

  private Outcome run(ProcessSpec spec) throws Exception {
    return executor.start(spec, sink).outcome().get(20, TimeUnit.SECONDS);
  }

  @Test
  void a_successful_command_delivers_its_lines_in_order_with_seq_counting_from_one()
      throws Exception {
    Outcome outcome = run(sh("seq 1 2000"));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(outcome.exitCode()).isZero();
    assertThat(outcome.error()).isNull();
    assertThat(outcome.lines()).isEqualTo(2000);
    assertThat(outcome.dropped()).isZero();
    assertThat(sink.stdout())
        .containsExactlyElementsOf(
            IntStream.rangeClosed(1, 2000).mapToObj(Integer::toString).toList());
    assertThat(sink.seqs()).containsExactlyElementsOf(LongRange.of(1, 2000));
  }

  @Test
  void stdout_and_stderr_share_one_seq_and_each_keeps_its_own_order() throws Exception {
    Outcome outcome =
        run(sh("for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; echo last >&2"));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.stdout()).containsExactly("out1", "out2", "out3", "out4", "out5");
    assertThat(sink.stderr()).containsExactly("err1", "err2", "err3", "err4", "err5", "last");
    assertThat(sink.seqs()).containsExactlyElementsOf(LongRange.of(1, 11));
    assertThat(sink.lines).allSatisfy(l -> assertThat(l.ts()).isNotNull());
  }

  @Test
  void a_nonzero_exit_code_fails_the_step_with_a_sentence_naming_it() throws Exception {
    Outcome outcome = run(sh("echo about to fail >&2; exit 3"));

    assertThat(outcome.status()).isEqualTo(Status.FAILED);
    assertThat(outcome.exitCode()).isEqualTo(3);
    assertThat(outcome.error()).isEqualTo("exit code 3");
    assertThat(sink.stderr()).containsExactly("about to fail");
  }

  @Test
  void a_program_that_does_not_exist_fails_like_in_a_shell() throws Exception {
    Outcome outcome =
        run(spec(List.of("no-such-program-xyz"), Map.of(), null, Set.of(), 100, 1000));

    assertThat(outcome.status()).isEqualTo(Status.FAILED);
    assertThat(outcome.exitCode()).isEqualTo(127);
    assertThat(sink.stderr()).anySatisfy(l -> assertThat(l).contains("no-such-program-xyz"));
  }

  @Test
  void parameter_values_stay_inert_data_when_echoed_through_the_environment() throws Exception {
    Path victim = Files.createDirectory(dir.resolve("victim"));
    Path marker = dir.resolve("marker");
    String semicolon = "x; rm -rf " + victim;
    String substitution = "$(touch " + marker + ")";
    String backticks = "`touch " + marker + "`";

    Outcome outcome =
        run(
            spec(
                List.of("sh", "-c", "echo \"$A\"; echo \"$B\"; echo \"$C\"; echo \"$HOME\""),
                Map.of("A", semicolon, "B", substitution, "C", backticks),
                null,
                Set.of(),
                100,
                1000));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.stdout().subList(0, 3)).containsExactly(semicolon, substitution, backticks);
    assertThat(sink.stdout().get(3)).as("inherited environment is kept").isNotBlank();
    assertThat(victim).exists();
    assertThat(marker).doesNotExist();
  }

  @Test
  void the_work_dir_is_created_if_missing() throws Exception {
    Path workDir = dir.resolve("a/b/c");
    Outcome outcome =
        executor
            .start(
                new ProcessSpec(List.of("pwd"), Map.of(), workDir, null, Set.of(), 10, 1000), sink)
            .outcome()
            .get(10, TimeUnit.SECONDS);

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.stdout()).containsExactly(workDir.toRealPath().toString());
  }

  @Test
  void the_process_leads_its_own_session_and_process_group_and_its_start_ticks_are_recorded()
      throws Exception {
    StepProcess step = executor.start(sh("sleep 1000"), sink);

    assertThat(step.processGroup()).isEqualTo(step.pid());
    assertThat(Procs.statField(step.pid(), 5)).as("pgrp").isEqualTo(Long.toString(step.pid()));
    assertThat(Procs.statField(step.pid(), 6)).as("session").isEqualTo(Long.toString(step.pid()));
    assertThat(step.startTicks()).isEqualTo(Procs.statField(step.pid(), 22));

    step.cancel();
    assertThat(step.outcome().get(10, TimeUnit.SECONDS).status()).isEqualTo(Status.CANCELED);
  }

  @Test
  void a_timeout_kills_the_whole_tree_including_a_background_child() throws Exception {
    StepProcess step =
        executor.start(
            spec(
                List.of("sh", "-c", "sleep 1000 & echo child $!; sleep 1000"),
                Map.of(),
                Duration.ofSeconds(1),
                Set.of(),
                100,
                1000),
            sink);

    Outcome outcome = step.outcome().get(10, TimeUnit.SECONDS);

    assertThat(outcome.status()).isEqualTo(Status.TIMED_OUT);
    assertThat(outcome.error()).isEqualTo("timed out after 1 s");
    assertThat(sink.system()).anySatisfy(l -> assertThat(l).startsWith("timed out after 1 s"));
    assertThat(sink.stdout()).hasSize(1).first().asString().startsWith("child ");
    long child = Long.parseLong(sink.stdout().get(0).substring("child ".length()));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> Procs.inGroup(step.pid()).isEmpty() && !Procs.running(child));
  }

  @Test
  void a_group_that_ignores_term_is_killed_after_the_grace() throws Exception {
    // trap '' makes TERM ignored by the shell and by the sleeps it starts.
    StepProcess step =
        executor.start(sh("trap '' TERM; sleep 1000 & echo ready; sleep 1000"), sink);
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.stdout().contains("ready"));

    step.cancel();
    Outcome outcome = step.outcome().get(10, TimeUnit.SECONDS);

    assertThat(outcome.status()).isEqualTo(Status.CANCELED);
    assertThat(outcome.exitCode()).isEqualTo(128 + 9);
    assertThat(sink.system())
        .containsExactly(
            "canceled; sending TERM to process group " + step.pid(),
            "process group " + step.pid() + " still running 300 ms after TERM; sending KILL");
    await().atMost(Duration.ofSeconds(5)).until(() -> Procs.inGroup(step.pid()).isEmpty());
  }

  @Test
  void cancel_kills_the_group_and_marks_the_step_canceled_not_succeeded() throws Exception {
    StepProcess step = executor.start(sh("echo working; sleep 1000 & wait"), sink);
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.stdout().contains("working"));

    step.cancel();
    Outcome outcome = step.outcome().get(10, TimeUnit.SECONDS);

    assertThat(outcome.status()).isEqualTo(Status.CANCELED);
    assertThat(outcome.error()).isEqualTo("canceled");
    assertThat(sink.system()).anySatisfy(l -> assertThat(l).startsWith("canceled"));
    await().atMost(Duration.ofSeconds(5)).until(() -> Procs.inGroup(step.pid()).isEmpty());
  }

  @Test
  void a_script_that_exits_zero_on_term_is_still_canceled() throws Exception {
    StepProcess step =
        executor.start(sh("trap 'exit 0' TERM; echo ready; sleep 1000 & wait"), sink);
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.stdout().contains("ready"));

    step.cancel();

    assertThat(step.outcome().get(10, TimeUnit.SECONDS).status()).isEqualTo(Status.CANCELED);
  }

  @Test
  void cancel_after_the_step_ended_changes_nothing() throws Exception {
    StepProcess step = executor.start(sh("echo done"), sink);
    Outcome outcome = step.outcome().get(10, TimeUnit.SECONDS);

    step.cancel();

    assertThat(step.outcome().get()).isEqualTo(outcome);
    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
  }

  @Test
  void a_background_child_left_behind_by_a_finished_step_is_killed() throws Exception {
    long started = System.nanoTime();
    StepProcess step = executor.start(sh("sleep 1000 & echo done"), sink);

    Outcome outcome = step.outcome().get(10, TimeUnit.SECONDS);

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    assertThat(sink.stdout()).containsExactly("done");
    assertThat(sink.system()).anySatisfy(l -> assertThat(l).contains("left 1 process"));
    assertThat(Procs.inGroup(step.pid())).isEmpty();
  }

  @Test
  void a_process_that_left_the_group_cannot_hold_the_step_open_by_its_output() throws Exception {
    // setsid puts the sleep in a session of its own, out of reach of the group kill, while it
    // still holds the step's stdout open.
    StepProcess step =
        executor.start(
            sh(
                "setsid sleep 1000 & echo escaped $!;"
                    + " until [ \"$(cut -d' ' -f6 /proc/$!/stat)\" = $! ]; do :; done"),
            sink);
    long escaped = -1;
    try {
      Outcome outcome = step.outcome().get(10, TimeUnit.SECONDS);
      escaped = Long.parseLong(sink.stdout().get(0).substring("escaped ".length()));

      assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
      // The JDK may close our end of the pipe when the main process exits (it drains what is
      // buffered unless a reader is blocked in read at that moment); otherwise the idle rule stops
      // reading and says so. Either way the step ended while the escaped process still runs.
      assertThat(ProcessHandle.of(escaped).map(ProcessHandle::isAlive)).contains(true);
      assertThat(sink.system())
          .isSubsetOf(
              "stopped reading output: a process outside group "
                  + step.pid()
                  + " still holds it open");
    } finally {
      if (escaped > 0) {
        ProcessHandle.of(escaped).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  @Test
  void a_long_line_is_cut_with_a_marker_saying_how_much_was_cut() throws Exception {
    Outcome outcome =
        run(
            spec(
                List.of("sh", "-c", "head -c 50000 /dev/zero | tr '\\0' a; echo; echo short"),
                Map.of(),
                null,
                Set.of(),
                100,
                100));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.stdout())
        .containsExactly("a".repeat(100) + " [cut: 49900 more chars]", "short");
  }

  @Test
  void binary_output_is_decoded_with_replacement_and_breaks_nothing() throws Exception {
    Outcome outcome =
        run(
            spec(
                List.of(
                    "sh",
                    "-c",
                    "head -c 100000 /dev/urandom; printf '\\nbin\\377\\376ok\\000end\\n'; echo"
                        + " after"),
                Map.of(),
                null,
                Set.of(),
                100_000,
                200));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.stdout()).contains("bin\uFFFD\uFFFDok\uFFFDend", "after");
    assertThat(sink.stdout())
        .allSatisfy(
            l ->
                assertThat(l.length())
                    .isLessThanOrEqualTo(200 + " [cut: 100000 more chars]".length()));
    assertThat(sink.seqs()).containsExactlyElementsOf(LongRange.of(1, outcome.lines()));
  }

  @Test
  void lines_over_the_cap_are_dropped_and_one_marker_says_how_many() throws Exception {
    Outcome outcome = run(spec(List.of("seq", "1", "100"), Map.of(), null, Set.of(), 10, 1000));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.stdout()).containsExactly("1", "2", "3", "4", "5", "6", "7", "8", "9", "10");
    assertThat(sink.system()).containsExactly("dropped 90 lines over the limit of 10 lines");
    assertThat(sink.lines.get(sink.lines.size() - 1).stream()).isEqualTo(LogLine.SYSTEM);
    assertThat(outcome.lines()).isEqualTo(11);
    assertThat(outcome.dropped()).isEqualTo(90);
  }

  @Test
  void secret_values_are_masked_in_every_stream_and_across_the_cut() throws Exception {
    String secret = "s3cr3t-Value";
    Outcome outcome =
        run(
            spec(
                List.of(
                    "sh",
                    "-c",
                    "echo \"token=$TOKEN\"; echo \"$TOKEN$TOKEN\" >&2; echo \"12345678${TOKEN}tail\";"
                        + " echo \"$OTHER\""),
                Map.of("TOKEN", secret, "OTHER", "first line\nsecond part"),
                null,
                Set.of(secret, "first line\nsecond part"),
                100,
                10));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.stdout())
        .containsExactly("token=******", "12345678****** [cut: 4 more chars]", "******", "******");
    // The second copy starts inside the limit and ends past it: masked whole, never shown in part
    // (the chars kept past the limit cover the longest masked form, here base64 of the secret).
    assertThat(sink.stderr()).containsExactly("************");
    assertThat(sink.lines).noneSatisfy(l -> assertThat(l.text()).contains("s3cr"));
  }

  @Test
  void a_script_runs_with_bash_from_a_private_file_in_the_work_dir() throws Exception {
    ScriptFile script =
        ScriptFile.write(
            dir.resolve("scripts"),
            "bash",
            "set -euo pipefail\nfor i in 1 2 3; do echo \"line $i of $NAME\"; done\n[[ -n $NAME ]]");

    assertThat(Files.getPosixFilePermissions(script.path()))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    assertThat(script.argv()).containsExactly("bash", script.path().toAbsolutePath().toString());

    Outcome outcome =
        run(spec(script.argv(), Map.of("NAME", "nightly; rm -rf /"), null, Set.of(), 100, 1000));

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    assertThat(sink.stdout())
        .containsExactly(
            "line 1 of nightly; rm -rf /",
            "line 2 of nightly; rm -rf /",
            "line 3 of nightly; rm -rf /");
    script.delete();
    assertThat(script.path()).doesNotExist();
  }

  /** Inclusive range of longs as a list, for seq assertions. */
  static final class LongRange {
    static List<Long> of(long from, long to) {
      return java.util.stream.LongStream.rangeClosed(from, to).boxed().toList();
    }
  }
}
