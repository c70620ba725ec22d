package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.Outcome;
import io.nightshift.scheduler.CapturedLog;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A node that comes back kills what its earlier incarnation left running on its host: the processes
 * of its own RUNNING attempts (which it fails as lost), and also those of attempts another node
 * failed as lost meanwhile, whose retry may be running elsewhere.
 */
class RestartLeftoversTest extends EngineFixture {
  @Test
  void a_node_back_after_another_node_retried_its_lost_attempt_kills_what_the_attempt_left()
      throws Exception {
    ScriptedExecutor dead = new ScriptedExecutor();
    Engine a = engine("a", dead);
    long id = a.start(run(command("s").put("retries", 1))).id();
    awaitStarted(dead, 1);
    long first = attempt(id, "s", 1).id();
    a.close(); // as a kill -9 would leave it: the attempt RUNNING, its lease no longer renewed
    new io.nightshift.scheduler.logs.LogStore(dsl)
        .insert(
            java.util.List.of(
                new io.nightshift.executor.LogLine(
                    id, first, "s", 1, 1, clock.instant(), "stdout", "one"),
                new io.nightshift.executor.LogLine(
                    id, first, "s", 1, 2, clock.instant(), "stdout", "two")));

    ScriptedExecutor survivor = new ScriptedExecutor();
    Engine b = engine("b", survivor);
    clock.advance(Duration.ofSeconds(31));
    b.sweep();
    awaitStarted(survivor, 1);
    assertThat(attempt(id, "s", 1).error()).contains("executor lost");
    long second = attempt(id, "s", 2).id();
    assertThat(attempt(id, "s", 1).lineCount()).as("the lines stored of it").isEqualTo(2);

    ScriptedExecutor back = new ScriptedExecutor();
    back.leftovers = Set.of(first, 999_999L); // the second: a step run no longer stored
    engine("a", back).recover();
    assertThat(back.leftoversKilled).containsExactlyInAnyOrder(first, 999_999L);
    assertThat(survivor.killed).as("the retry on the other node runs on").isEmpty();
    assertThat(attempt(id, "s", 2).status()).isEqualTo(StepStatus.RUNNING);
    survivor.report(second, Outcome.Status.SUCCEEDED);
    awaitStatus(id, RunStatus.SUCCEEDED);
  }

  @Test
  void a_restart_leaves_a_live_twins_attempts_alone_and_fails_those_of_its_own_dead_past()
      throws Exception {
    ScriptedExecutor twin = new ScriptedExecutor();
    Engine live = engine("same", twin);
    live.recover();
    long id = live.start(run(command("s"))).id();
    awaitStarted(twin, 1);

    ScriptedExecutor beside = new ScriptedExecutor();
    beside.leftovers = Set.of(attempt(id, "s", 1).id()); // the twin's step, on this host too
    List<String> logged;
    try (CapturedLog engineLog = CapturedLog.of(Engine.class)) {
      engine("same", beside).recover();
      logged = engineLog.messages();
    }
    assertThat(attempt(id, "s", 1).status())
        .as("the live twin's attempt is not its leftover")
        .isEqualTo(StepStatus.RUNNING);
    assertThat(beside.leftoversKilled).isEmpty();
    assertThat(logged)
        .as("a second live node under one name is a configuration mistake: said at its start")
        .anySatisfy(
            m ->
                assertThat(m).startsWith("node name same is also used by a live instance on host"));

    live.close();
    ScriptedExecutor next = new ScriptedExecutor();
    engine("same", next).recover();
    assertThat(next.leftoversKilled)
        .as("what escaped the lost attempt's group is killed through the executor (its cgroup)")
        .containsExactly(attempt(id, "s", 1).id());
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.FAILED);
    assertThat(attempt(id, "s", 1).error()).contains("executor lost");
    awaitStatus(id, RunStatus.FAILED);
  }

  @Test
  void a_node_back_kills_only_its_own_leftovers_not_those_of_another_installation_of_its_name()
      throws Exception {
    java.nio.file.Path mine = io.nightshift.scheduler.TempFolders.create("nightshift-mine-");
    java.nio.file.Path other = io.nightshift.scheduler.TempFolders.create("nightshift-other-");
    // One step id, one node name: this node's leftover (a run no longer stored) and a live step
    // of another installation on the host whose node has the same name.
    Process myLeftover = tagged(999_999, mine);
    Process theirs = tagged(999_999, other);
    try {
      StepLauncher launcher =
          new StepLauncher(
              new io.nightshift.executor.ProcessExecutor(
                  java.time.Clock.systemUTC(), Duration.ofMillis(300)),
              new io.nightshift.executor.HttpExecutor(clock),
              EngineSettings.defaults("n1", mine));
      assertThat(launcher.leftovers()).containsExactly(999_999L);
      engine("n1", launcher, mine).recover();
      assertThat(myLeftover.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      assertThat(theirs.isAlive()).as("the other installation's live step").isTrue();
    } finally {
      myLeftover.destroyForcibly().waitFor();
      theirs.destroyForcibly().waitFor();
    }
  }

  /** A process tagged as a step of node n1 whose run directory is under {@code root}. */
  private static Process tagged(long stepRunId, java.nio.file.Path root) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("setsid", "sleep", "1000");
    builder.environment().put(StepLauncher.STEP_RUN_ID, String.valueOf(stepRunId));
    builder.environment().put(StepLauncher.NODE, "n1");
    builder.environment().put(StepLauncher.WORK_DIR, root.resolve("runs/5").toString());
    return builder.start();
  }
}
