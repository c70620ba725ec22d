package io.nightshift.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Groups started without the executor, the way a killed service would leave them behind. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProcessGroupsTest {
  private Process leader;

  @AfterEach
  void cleanUp() {
    if (leader != null) {
      for (long pid : Procs.inGroup(leader.pid())) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      leader.destroyForcibly();
    }
  }

  private Process startGroup(String script) throws Exception {
    Process process =
        new ProcessBuilder("setsid", "sh", "-c", script)
            .redirectOutput(new File("/dev/null"))
            .redirectError(new File("/dev/null"))
            .start();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> Procs.statField(process.pid(), 5).equals(Long.toString(process.pid())));
    return process;
  }

  @Test
  void a_live_group_with_the_recorded_start_time_is_killed() throws Exception {
    leader = startGroup("sleep 1000 & sleep 1000");
    long pgid = leader.pid();
    String ticks = Procs.statField(pgid, 22);
    await().atMost(Duration.ofSeconds(5)).until(() -> Procs.inGroup(pgid).size() >= 2);

    assertThat(ProcessGroups.killLeftover(pgid, ticks)).isTrue();

    assertThat(leader.waitFor(5, TimeUnit.SECONDS)).isTrue();
    assertThat(leader.exitValue()).isEqualTo(128 + 9);
    await().atMost(Duration.ofSeconds(5)).until(() -> Procs.inGroup(pgid).isEmpty());
  }

  @Test
  void a_pid_with_another_start_time_is_left_alone() throws Exception {
    leader = startGroup("sleep 1000");
    long pgid = leader.pid();
    long ticks = Long.parseLong(Procs.statField(pgid, 22));

    assertThat(ProcessGroups.killLeftover(pgid, Long.toString(ticks - 1))).isFalse();
    assertThat(ProcessGroups.killLeftover(pgid, Long.toString(ticks + 1))).isFalse();

    assertThat(leader.isAlive()).isTrue();
  }

  @Test
  void processes_left_in_the_group_after_its_leader_exited_are_killed() throws Exception {
    // The leader waits for its stdin to close, then exits and leaves its background sleep behind.
    leader =
        new ProcessBuilder("setsid", "sh", "-c", "sleep 1000 & read line")
            .redirectOutput(new File("/dev/null"))
            .start();
    long pgid = leader.pid();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> Procs.statField(pgid, 5).equals(Long.toString(pgid)));
    String ticks = Procs.statField(pgid, 22);
    await().atMost(Duration.ofSeconds(5)).until(() -> Procs.inGroup(pgid).size() == 2);
    leader.getOutputStream().close();
    assertThat(leader.waitFor(5, TimeUnit.SECONDS)).isTrue();
    List<Long> orphans = Procs.inGroup(pgid);
    assertThat(orphans).hasSize(1);

    assertThat(ProcessGroups.killLeftover(pgid, ticks)).isTrue();

    await().atMost(Duration.ofSeconds(5)).until(() -> Procs.inGroup(pgid).isEmpty());
  }

  @Test
  void a_group_that_is_gone_is_reported_as_not_found() throws Exception {
    leader = new ProcessBuilder("setsid", "true").start();
    long pgid = leader.pid();
    assertThat(leader.waitFor(5, TimeUnit.SECONDS)).isTrue();

    assertThat(ProcessGroups.killLeftover(pgid, "1")).isFalse();
  }

  @Test
  void a_stat_line_is_read_past_a_command_name_with_spaces_and_parentheses() {
    String line =
        "4242 (a) b (c)) S 1 4240 4239 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10"
            + " 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
    byte[] bytes = line.getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    assertThat(ProcessGroups.parse(4242, bytes, bytes.length))
        .contains(new ProcessGroups.Stat(4242, 'S', 4240, 4239, "987654"));
    assertThat(ProcessGroups.parse(4242, bytes, line.indexOf(" 987654"))).isEmpty();
  }

  @Test
  void the_stat_of_this_process_matches_proc() throws Exception {
    long self = ProcessHandle.current().pid();

    ProcessGroups.Stat stat = ProcessGroups.stat(self).orElseThrow();

    assertThat(stat.pgrp()).isEqualTo(Long.parseLong(Procs.statField(self, 5)));
    assertThat(stat.session()).isEqualTo(Long.parseLong(Procs.statField(self, 6)));
    assertThat(stat.startTicks()).isEqualTo(Procs.statField(self, 22));
    assertThat(stat.zombie()).isFalse();
  }
}
