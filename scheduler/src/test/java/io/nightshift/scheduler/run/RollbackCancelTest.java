package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.Outcome;
import io.nightshift.scheduler.template.TemplateParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A run rolling back can be canceled (an undo that hangs must not hold the run until its timeout):
 * the running undo is killed, no further undo starts, and the run is CANCELED once the undo ended.
 */
class RollbackCancelTest extends EngineFixture {

  /**
   * first and second (each with an undo), then broken, which fails: undo:second, then undo:first.
   */
  static NewRun twoUndos() {
    JsonObject template =
        new JsonObject()
            .put("name", "t")
            .put("onFailure", "rollback")
            .put(
                "steps",
                new JsonArray()
                    .add(command("first").put("undo", "true"))
                    .add(
                        command("second")
                            .put("undo", "true")
                            .put("needs", new JsonArray().add("first")))
                    .add(command("broken").put("needs", new JsonArray().add("second"))));
    return new NewRun(
        TemplateParser.parse(template, null), 1, null, Trigger.MANUAL, "alice", Map.of(), null);
  }

  /** Runs first and second to success and broken to failure; the id of undo:second, running. */
  private long rollingBack(ScriptedExecutor executor, long id) {
    for (int i = 0; i < 3; i++) {
      awaitStarted(executor, i + 1);
      executor.report(
          executor.started.get(i), i < 2 ? Outcome.Status.SUCCEEDED : Outcome.Status.FAILED);
    }
    awaitStarted(executor, 4);
    awaitStatus(id, RunStatus.ROLLING_BACK);
    StepRun undo = attempt(id, "undo:second", 1);
    assertThat(undo.status()).isEqualTo(StepStatus.RUNNING);
    assertThat(executor.started.get(3)).isEqualTo(undo.id());
    return undo.id();
  }

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
