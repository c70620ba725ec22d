package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.Outcome;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A run rolling back can be canceled (an undo that hangs must not hold the run until its timeout):
 * the running undo is killed, no further undo starts, and the run is CANCELED once the undo ended.
 */
class RollbackCancelTest extends EngineFixture {

  @Test
  void a_cancel_kills_the_running_undo_and_the_run_ends_canceled_without_further_undos()
      throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("a", executor);
    long id = engine.start(twoUndos()).id();
    long undo = rollingBack(executor, id);

    Run answer = engine.cancel(id, "bob");

    assertThat(answer.status()).as("the undo still runs").isEqualTo(RunStatus.CANCELING);
    assertThat(executor.killed).containsExactly(undo);
    executor.endKilled();
    awaitStatus(id, RunStatus.CANCELED);
    Run run = runs.get(id);
    assertThat(run.error()).isEqualTo("canceled by bob");
    assertThat(attempt(id, "undo:second", 1).status()).isEqualTo(StepStatus.CANCELED);
    assertThat(attempt(id, "second", 1).status()).isEqualTo(StepStatus.SUCCEEDED);
    assertThat(attempt(id, "first", 1).status()).isEqualTo(StepStatus.SUCCEEDED);
    Awaitility.await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> executor.started.size() == 4);
    assertThat(runs.get(id).attempts()).noneMatch(s -> s.name().equals("undo:first"));
  }

  @Test
  void an_undo_that_succeeds_as_the_cancel_arrives_rolls_its_step_back_and_the_run_is_canceled()
      throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("a", executor);
    long id = engine.start(twoUndos()).id();
    long undo = rollingBack(executor, id);

    engine.cancel(id, "bob");
    executor.report(undo, Outcome.Status.SUCCEEDED);

    awaitStatus(id, RunStatus.CANCELED);
    assertThat(attempt(id, "second", 1).status()).isEqualTo(StepStatus.ROLLED_BACK);
    assertThat(attempt(id, "first", 1).status()).isEqualTo(StepStatus.SUCCEEDED);
    assertThat(runs.get(id).attempts()).noneMatch(s -> s.name().equals("undo:first"));
  }
}
