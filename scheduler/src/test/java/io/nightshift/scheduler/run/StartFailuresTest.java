package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.Outcome;
import io.nightshift.scheduler.approval.ApprovalRepository;
import io.nightshift.scheduler.approval.ApprovalStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Attempts the executor cannot start (a fork that fails, a work folder that cannot be written):
 * each is recorded "cannot start" like any end, and never keeps the rest of its launch or rollback
 * from running.
 */
class StartFailuresTest extends EngineFixture {
  @Test
  void a_step_that_cannot_start_fails_as_such_and_its_retries_decide() throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    int[] starts = {0};
    AttemptExecutor firstStartFails =
        (attempt, sink) -> {
          if (starts[0]++ == 0) {
            throw new java.io.IOException("fork failed (injected)");
          }
          return executor.start(attempt, sink);
        };
    Engine engine = engine("n1", firstStartFails);
    long id = engine.start(run(command("x").put("retries", 1))).id();
    awaitStarted(executor, 1);
    StepRun first = attempt(id, "x", 1);
    assertThat(first.status()).isEqualTo(StepStatus.FAILED);
    assertThat(first.error()).isEqualTo("cannot start: fork failed (injected)");
    assertThat(executor.started).containsExactly(attempt(id, "x", 2).id());
    executor.report(executor.started.get(0), Outcome.Status.SUCCEEDED);
    awaitStatus(id, RunStatus.SUCCEEDED);
  }

  @Test
  void a_step_that_cannot_start_after_another_node_changed_the_run_leaves_its_siblings_executing()
      throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine b = engine("b", new ScriptedExecutor());
    ApprovalRepository approvals = new ApprovalRepository(dsl);
    AttemptExecutor xCannotStart =
        (attempt, sink) -> {
          if (!attempt.step().name().equals("x")) {
            return owner.start(attempt, sink);
          }
          // Meanwhile node b decides the run's approval: node a's copy of the run is stale.
          long gate =
              approvals.list(ApprovalStatus.PENDING, attempt.run().id(), null, 10).get(0).id();
          b.decide(gate, "bob", true, null);
          throw new java.io.IOException("fork failed (injected)");
        };
    Engine a = engine("a", xCannotStart);
    JsonObject gate = approval("gate");
    JsonArray none = new JsonArray();
    long id =
        a.start(run(gate, command("x").put("needs", none), command("y").put("needs", none))).id();

    awaitStarted(owner, 1);
    assertThat(owner.started)
        .as("y, recorded RUNNING with x, is executing")
        .containsExactly(attempt(id, "y", 1).id());
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> attempt(id, "x", 1).status() == StepStatus.FAILED);
    assertThat(attempt(id, "x", 1).error()).isEqualTo("cannot start: fork failed (injected)");
    assertThat(attempt(id, "gate", 1).status()).isEqualTo(StepStatus.SUCCEEDED);
  }

  @Test
  void an_undo_that_cannot_start_fails_the_rollback_as_such() throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    AttemptExecutor undosCannotStart =
        (attempt, sink) -> {
          if (attempt.step().name().startsWith(RunRepository.UNDO_PREFIX)) {
            throw new java.io.IOException("fork failed (injected)");
          }
          return owner.start(attempt, sink);
        };
    Engine a = engine("a", undosCannotStart);
    long id = a.start(rollsBack()).id();
    aSucceedsThenBFails(owner);

    awaitStatus(id, RunStatus.ROLLBACK_FAILED);
    assertThat(attempt(id, RunRepository.UNDO_PREFIX + "a", 1).error())
        .isEqualTo("cannot start: fork failed (injected)");
    assertThat(a.executingSteps()).isZero();
  }

  @Test
  void two_nodes_that_move_the_same_rollback_on_at_once_start_its_undo_once_and_quietly()
      throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    ScriptedExecutor other = new ScriptedExecutor();
    Engine b = engine("b", other);
    long id = a.start(rollsBack()).id();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    flaky.hold("insert into run_step", release); // the undo's insert, once b failed
    aSucceedsThenBFails(owner);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> flaky.held() == 1);

    // Node b moves the same rollback on meanwhile (a sweep after a crash, a restart): it read the
    // run without a's undo and waits for the run's row lock to insert its own; the unique key lets
    // one through once a commits.
    java.util.concurrent.atomic.AtomicReference<Throwable> failed =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread fromB =
        new Thread(
            () -> {
              try {
                b.moveOn(id);
              } catch (Throwable e) {
                failed.set(e);
              }
            });
    fromB.start();
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                java.util.Arrays.stream(fromB.getStackTrace())
                    .anyMatch(frame -> frame.getMethodName().equals("insertUndo")));
    release.countDown();
    fromB.join(10_000);
    assertThat(fromB.isAlive()).as("node b's pass is over").isFalse();
    assertThat(failed.get()).as("node b's pass ends quietly").isNull();

    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> owner.started.size() + other.started.size() == 3);
    long undo = attempt(id, RunRepository.UNDO_PREFIX + "a", 1).id();
    (owner.started.contains(undo) ? owner : other).report(undo, Outcome.Status.SUCCEEDED);
    awaitStatus(id, RunStatus.ROLLED_BACK);
    assertThat(owner.started.size() + other.started.size()).as("one undo ran").isEqualTo(3);
  }
}
