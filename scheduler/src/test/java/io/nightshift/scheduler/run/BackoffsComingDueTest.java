package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.Outcome;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * What a run has to start next comes due from a stored time on any node: a retry's backoff, a step
 * an end made ready, a retry without backoff. The node that armed the timer (or made the step
 * ready) may have gone away or failed to start it, and sibling steps may be running or waiting for
 * a decision meanwhile.
 */
class BackoffsComingDueTest extends EngineFixture {
  @Test
  void a_retry_backoff_comes_due_from_its_stored_time_when_the_clock_passes_it() throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("n1", executor);
    long id = inBackoff(engine, executor, 600);

    clock.advance(Duration.ofSeconds(599));
    engine.sweep();
    assertThat(executor.started).hasSize(1);

    // Any node finds it: here a second engine that never saw the run. Just due, it is its owner's
    // (whose timer moves it on); once the owner has not for the stall grace, it is anyone's.
    ScriptedExecutor other = new ScriptedExecutor();
    Engine b = engine("n2", other);
    clock.advance(Duration.ofSeconds(2));
    b.sweep();
    assertThat(other.started).isEmpty();
    clock.advance(STALL_GRACE);
    b.sweep();
    assertThat(other.started).containsExactly(attempt(id, "a", 2).id());
    other.report(other.started.get(0), Outcome.Status.SUCCEEDED);
    awaitStatus(id, RunStatus.SUCCEEDED);
  }

  @Test
  void a_retry_backoff_comes_due_on_any_node_while_a_sibling_step_waits_for_an_approval()
      throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    JsonObject gate = approval("gate");
    long id = a.start(run(gate, backingOff("s"))).id();
    awaitStarted(owner, 1);
    awaitStatus(id, RunStatus.WAITING_APPROVAL);
    failIntoBackoff(owner, id);

    // Node a's timer for the backoff is in its memory only (as if a went away): the stored time
    // is what any node's sweep goes by, although the run has a step waiting for a decision.
    ScriptedExecutor other = new ScriptedExecutor();
    Engine b = engine("b", other);
    clock.advance(Duration.ofSeconds(61));
    b.sweep();
    assertThat(other.started).as("just due: its owner's timer moves it on").isEmpty();
    clock.advance(STALL_GRACE);
    b.sweep();
    assertThat(other.started).containsExactly(attempt(id, "s", 2).id());
    assertThat(attempt(id, "gate", 1).status()).isEqualTo(StepStatus.WAITING_APPROVAL);
  }

  @Test
  void a_retry_backoff_comes_due_on_any_node_while_a_sibling_step_runs_on_a_live_node()
      throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    long id = a.start(run(command("backup"), backingOff("s"))).id();
    awaitStarted(owner, 2);
    long backup = attempt(id, "backup", 1).id();
    failIntoBackoff(owner, id);

    ScriptedExecutor other = new ScriptedExecutor();
    Engine b = engine("b", other);
    clock.advance(Duration.ofSeconds(61));
    a.renewLeases();
    b.sweep();
    assertThat(other.started).isEmpty();
    clock.advance(STALL_GRACE);
    a.renewLeases();
    b.sweep();
    assertThat(other.started).containsExactly(attempt(id, "s", 2).id());
    assertThat(attempt(id, "backup", 1).status())
        .as("the sibling still runs on its live node")
        .isEqualTo(StepStatus.RUNNING);
    assertThat(owner.started).contains(backup);
  }

  @Test
  void a_step_a_draining_node_left_ready_starts_on_another_node_while_a_sibling_still_runs()
      throws Exception {
    ScriptedExecutor draining = new ScriptedExecutor();
    Engine a = engine("a", draining);
    JsonArray none = new JsonArray();
    long id =
        a.start(
                run(
                    command("first").put("needs", none),
                    command("long").put("needs", none),
                    command("then").put("needs", new JsonArray().add("first"))))
            .id();
    awaitStarted(draining, 2);
    draining.accepting = false; // node a drains: "long" runs on through its grace
    draining.report(attempt(id, "first", 1).id(), Outcome.Status.SUCCEEDED);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> attempt(id, "then", 1).notBefore() != null);
    assertThat(attempt(id, "then", 1).status()).isEqualTo(StepStatus.PENDING);

    ScriptedExecutor other = new ScriptedExecutor();
    Engine b = engine("b", other);
    clock.advance(STALL_GRACE.plusSeconds(1));
    a.renewLeases();
    b.sweep();
    assertThat(other.started).containsExactly(attempt(id, "then", 1).id());
    assertThat(attempt(id, "long", 1).status()).isEqualTo(StepStatus.RUNNING);
  }

  @Test
  void a_step_an_end_made_ready_starts_on_the_sweep_when_starting_it_failed_while_a_sibling_waits()
      throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("a", executor);
    JsonArray none = new JsonArray();
    long id =
        engine
            .start(
                run(
                    approval("gate").put("needs", none),
                    command("first").put("needs", none),
                    command("then").put("needs", new JsonArray().add("first"))))
            .id();
    awaitStarted(executor, 1);
    awaitStatus(id, RunStatus.WAITING_APPROVAL);

    // The end of "first" is recorded; every change that would start "then" fails (as a node that
    // stops right after recording an end never makes it).
    startsFailFor(() -> executor.report(attempt(id, "first", 1).id(), Outcome.Status.SUCCEEDED));
    assertThat(attempt(id, "first", 1).status()).isEqualTo(StepStatus.SUCCEEDED);
    assertThat(attempt(id, "then", 1).status()).isEqualTo(StepStatus.PENDING);

    engine.sweep();
    assertThat(executor.started).as("within the stall grace").hasSize(1);
    clock.advance(STALL_GRACE.plusSeconds(1));
    engine.sweep();
    assertThat(executor.started).hasSize(2).endsWith(attempt(id, "then", 1).id());
    assertThat(attempt(id, "gate", 1).status()).isEqualTo(StepStatus.WAITING_APPROVAL);
  }

  @Test
  void a_retry_without_backoff_starts_on_the_sweep_when_starting_it_failed_while_a_sibling_waits()
      throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("a", executor);
    JsonObject retried = command("s").put("needs", new JsonArray()).put("retries", 1);
    long id = engine.start(run(approval("gate"), retried)).id();
    awaitStarted(executor, 1);
    awaitStatus(id, RunStatus.WAITING_APPROVAL);

    startsFailFor(() -> executor.report(attempt(id, "s", 1).id(), Outcome.Status.FAILED));
    assertThat(attempt(id, "s", 2).status()).isEqualTo(StepStatus.PENDING);

    engine.sweep();
    assertThat(executor.started).as("within the stall grace").hasSize(1);
    clock.advance(STALL_GRACE.plusSeconds(1));
    engine.sweep();
    assertThat(executor.started).hasSize(2).endsWith(attempt(id, "s", 2).id());
  }

  /**
   * Runs {@code action} (a report) while every change that starts an attempt fails, until the
   * engine has tried and given up at least once; then lets starts through again.
   */
  private void startsFailFor(Runnable action) {
    flaky.fail("started_at` = ?", 1000); // StepRowRepository.start
    action.run();
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> flaky.failuresLeft() <= 995);
    flaky.fail("", 0);
  }

  /** A step with no needs that is retried once, 60 s after it failed. */
  private static JsonObject backingOff(String name) {
    return command(name)
        .put("needs", new JsonArray())
        .put("retries", 1)
        .put("retryBackoffSeconds", 60);
  }

  /** Fails step s's first attempt, which stores its second PENDING until its backoff ends. */
  private void failIntoBackoff(ScriptedExecutor owner, long id) {
    long first = attempt(id, "s", 1).id();
    owner.report(first, Outcome.Status.FAILED);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> runs.get(id).attempts().stream().anyMatch(s -> s.attempt() == 2));
    assertThat(attempt(id, "s", 2).status()).isEqualTo(StepStatus.PENDING);
  }
}
