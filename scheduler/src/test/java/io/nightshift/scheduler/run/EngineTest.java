package io.nightshift.scheduler.run;

import static io.nightshift.sql.Tables.RUN_EVENT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.executor.Outcome;
import io.nightshift.scheduler.CapturedLog;
import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.approval.ApprovalRepository;
import io.nightshift.scheduler.approval.ApprovalStatus;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.scheduler.template.TemplateParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The engine on its own: a real (embedded) store, a clock the test moves, and a test double of the
 * dispatch seam in place of processes, so each event (an outcome, a cancel, a lease running out, a
 * deadline passing) is the test's to trigger.
 */
class EngineTest extends EngineFixture {
  @Test
  void a_cancel_leaves_the_run_canceling_until_its_running_attempt_reported_its_end()
      throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("n1", executor);
    long id =
        engine.start(run(command("a"), command("b").put("needs", new JsonArray().add("a")))).id();
    awaitStarted(executor, 1);
    long a = executor.started.get(0);

    Run canceling = engine.cancel(id, "bob");

    assertThat(canceling.status()).isEqualTo(RunStatus.CANCELING);
    assertThat(executor.killed).containsExactly(a);
    assertThat(attempt(id, "b", 1).status()).isEqualTo(StepStatus.CANCELED);
    assertThat(attempt(id, "a", 1).status()).isEqualTo(StepStatus.RUNNING);
    assertNotOverWhileRunning(id);
    assertThatThrownBy(() -> engine.cancel(id, "bob")).isInstanceOf(Conflict.class);

    executor.endKilled();

    awaitStatus(id, RunStatus.CANCELED);
    assertThat(attempt(id, "a", 1).status()).isEqualTo(StepStatus.CANCELED);
    assertThat(runs.get(id).error()).contains("canceled by bob");
  }

  @Test
  void a_cancel_on_another_node_reaches_the_owner_at_its_next_poll() throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    Engine b = engine("b", new ScriptedExecutor());
    long id = a.start(run(command("s"))).id();
    awaitStarted(owner, 1);

    assertThat(b.cancel(id, "bob").status()).isEqualTo(RunStatus.CANCELING);
    assertThat(owner.killed).isEmpty();
    a.pollCancels();
    assertThat(owner.killed).containsExactly(owner.started.get(0));
    owner.endKilled();

    awaitStatus(id, RunStatus.CANCELED);
  }

  @Test
  void a_canceling_run_whose_owner_is_gone_ends_canceled_with_its_step_canceled_not_retried()
      throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    long id = a.start(run(command("s").put("retries", 1))).id();
    awaitStarted(owner, 1);
    ScriptedExecutor survivor = new ScriptedExecutor();
    Engine b = engine("b", survivor);

    // Node a is gone: the cancel reaches nobody, and the run stays CANCELING until its lease ends.
    assertThat(b.cancel(id, "bob").status()).isEqualTo(RunStatus.CANCELING);
    clock.advance(Duration.ofSeconds(31));
    b.sweep();

    awaitStatus(id, RunStatus.CANCELED);
    StepRun step = attempt(id, "s", 1);
    assertThat(step.status()).isEqualTo(StepStatus.CANCELED);
    assertThat(step.error()).startsWith("canceled; executor lost").contains(a.instance());
    assertThat(survivor.started).as("a canceled step is not retried").isEmpty();
    assertThat(runs.get(id).error()).contains("canceled by bob");
  }

  @Test
  void a_run_without_a_running_attempt_is_canceled_at_once() throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("n1", executor);
    long id = inBackoff(engine, executor, 600);

    assertThat(engine.cancel(id, "bob").status()).isEqualTo(RunStatus.CANCELED);
    assertThat(attempt(id, "a", 2).status()).isEqualTo(StepStatus.CANCELED);
  }

  @Test
  void
      an_attempt_whose_lease_expired_fails_as_lost_is_retried_elsewhere_and_its_late_report_is_refused()
          throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    long id = a.start(run(command("s").put("retries", 1))).id();
    awaitStarted(owner, 1);
    long first = owner.started.get(0);

    ScriptedExecutor survivor = new ScriptedExecutor();
    Engine b = engine("b", survivor);
    clock.advance(Duration.ofSeconds(29));
    b.sweep();
    assertThat(attempt(id, "s", 1).status()).as("lease still holds").isEqualTo(StepStatus.RUNNING);

    clock.advance(Duration.ofSeconds(2));
    b.sweep();

    StepRun lost = attempt(id, "s", 1);
    assertThat(lost.status()).isEqualTo(StepStatus.FAILED);
    assertThat(lost.error()).contains("executor lost").contains(a.instance());
    assertThat(survivor.started).containsExactly(attempt(id, "s", 2).id());
    assertThat(status(id)).isEqualTo(RunStatus.RUNNING);

    // The old owner comes back: it no longer holds the lease, so it kills what it still runs...
    a.renewLeases();
    assertThat(owner.killed).containsExactly(first);
    // ...and its late report changes nothing.
    owner.report(first, Outcome.Status.SUCCEEDED);
    survivor.report(survivor.started.get(0), Outcome.Status.SUCCEEDED);
    awaitStatus(id, RunStatus.SUCCEEDED);
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.FAILED);
  }

  @Test
  void a_renewed_lease_is_not_taken_over() throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    Engine b = engine("b", new ScriptedExecutor());
    long id = a.start(run(command("s"))).id();
    awaitStarted(owner, 1);
    for (int i = 0; i < 5; i++) {
      clock.advance(Duration.ofSeconds(10));
      a.renewLeases();
      b.sweep();
    }
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.RUNNING);
    assertThat(owner.killed).isEmpty();
  }

  @Test
  void after_a_database_outage_longer_than_a_lease_its_owner_gets_the_time_to_renew_it()
      throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    Engine b = engine("b", new ScriptedExecutor());
    long id = a.start(run(command("s"))).id();
    awaitStarted(owner, 1);

    outage(Duration.ofSeconds(60), b::sweep, a::sweep, a::renewLeases);

    // Back: the lease ran out 30 s ago, but its owner could not renew it. Sweeps on both nodes
    // before the owner's next renewal leave it alone...
    clock.advance(Duration.ofSeconds(5));
    b.sweep();
    a.sweep();
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.RUNNING);
    clock.advance(Duration.ofSeconds(5));
    a.renewLeases();
    // (Reaping is on again here; the renewal above is what keeps the attempt.)
    clock.advance(Duration.ofSeconds(25));
    b.sweep();
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.RUNNING);
    assertThat(owner.killed).isEmpty();

    // ...while an owner that stays silent once the database is back still loses it.
    clock.advance(Duration.ofSeconds(10));
    b.sweep();
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.FAILED);
    assertThat(attempt(id, "s", 1).error()).contains("executor lost");
  }

  @Test
  void an_attempt_that_ends_while_the_database_is_out_is_recorded_with_its_outcome_when_it_is_back()
      throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    Engine b = engine("b", new ScriptedExecutor());
    long id = a.start(run(command("s"))).id();
    awaitStarted(owner, 1);

    // The step succeeds while the database is out; its end cannot be written, for 2 minutes.
    flaky.down(true);
    java.time.Instant ended = clock.instant();
    owner.report(owner.started.get(0), Outcome.Status.SUCCEEDED);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> a.stepEndsWaiting() == 1);
    outage(Duration.ofSeconds(120), a::renewLeases, b::sweep);
    assertThat(a.executingSteps()).as("still this node's, to renew").isEqualTo(1);

    // Back: the other node leaves the attempt to its owner, whose next renewal records its end.
    clock.advance(Duration.ofSeconds(5));
    b.sweep();
    a.renewLeases();
    awaitStatus(id, RunStatus.SUCCEEDED);
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.SUCCEEDED);
    assertThat(attempt(id, "s", 1).finishedAt())
        .as("when the step ended, not when the database came back")
        .isEqualTo(ended);
    assertThat(runs.get(id).finishedAt()).isEqualTo(ended);
    assertThat(runs.get(id).attempts()).hasSize(1);
    assertThat(a.stepEndsWaiting()).isZero();
    assertThat(a.executingSteps()).isZero();
  }

  @Test
  void a_run_whose_ends_are_recorded_out_of_order_ends_when_its_last_attempt_ended()
      throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    JsonArray none = new JsonArray();
    long id = a.start(run(command("x").put("needs", none), command("y").put("needs", none))).id();
    awaitStarted(owner, 2);

    long x = attempt(id, "x", 1).id();
    long y = attempt(id, "y", 1).id();

    // y ends while the database is out: its end waits, with its own time.
    flaky.down(true);
    owner.report(y, Outcome.Status.SUCCEEDED);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> a.stepEndsWaiting() == 1);
    flaky.down(false);

    // x ends 10 s later, once the database is back, and is recorded first.
    clock.advance(Duration.ofSeconds(10));
    java.time.Instant last = clock.instant();
    owner.report(x, Outcome.Status.SUCCEEDED);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> attempt(id, "x", 1).status() == StepStatus.SUCCEEDED);

    a.renewLeases(); // records y's end, which ends the run
    awaitStatus(id, RunStatus.SUCCEEDED);
    assertThat(attempt(id, "y", 1).finishedAt()).isEqualTo(last.minusSeconds(10));
    assertThat(runs.get(id).finishedAt()).as("when its last attempt ended").isEqualTo(last);
  }

  @Test
  void an_end_whose_write_went_through_but_answered_a_lost_connection_is_taken_as_recorded()
      throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    NewRun nightly =
        new NewRun(
            run(command("s")).template(), 1, "nightly", Trigger.MANUAL, "alice", Map.of(), null);
    long id = a.start(nightly).id();
    awaitStarted(owner, 1);
    // The job's next run waits behind it (concurrency: queue).
    long next = runs.create(nightly, clock.instant()).id();
    dsl.update(io.nightshift.sql.Tables.RUN)
        .set(io.nightshift.sql.Tables.RUN.STATUS, RunStatus.QUEUED.name())
        .where(io.nightshift.sql.Tables.RUN.ID.eq(next))
        .execute();
    List<String> logged;
    try (CapturedLog engineLog = CapturedLog.of(Engine.class)) {
      lostAnswers.next(1);
      owner.report(owner.started.get(0), Outcome.Status.SUCCEEDED);
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  engineLog.messages().stream()
                      .anyMatch(m -> m.contains("recorded already") || m.contains("late report")));
      logged = engineLog.messages();
    }
    assertThat(status(id)).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.SUCCEEDED);
    assertThat(logged)
        .as("its own end, found stored when it was written again, is no late report")
        .noneSatisfy(m -> assertThat(m).contains("late report refused"))
        .anySatisfy(m -> assertThat(m).contains("recorded already"));
    // What follows a run's end follows: the queued run starts at once, not at a sweep.
    awaitStarted(owner, 2);
    assertThat(status(next)).isEqualTo(RunStatus.RUNNING);
  }

  @Test
  void a_launch_whose_write_went_through_but_answered_a_lost_connection_starts_its_attempts()
      throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    JsonArray none = new JsonArray();
    lostAnswers.nextWith("run_step.started_at = ?", 1); // the change that records attempts RUNNING
    long id = a.start(run(command("x").put("needs", none), command("y").put("needs", none))).id();

    awaitStarted(owner, 2);
    assertThat(attempt(id, "x", 1).status()).isEqualTo(StepStatus.RUNNING);
    for (long step : owner.started) {
      owner.report(step, Outcome.Status.SUCCEEDED);
    }
    awaitStatus(id, RunStatus.SUCCEEDED);
    assertThat(runs.get(id).attempts()).hasSize(2);
    assertThat(owner.started).hasSize(2);
  }

  @Test
  void an_undo_whose_insert_answered_a_lost_connection_is_started() throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    long id = a.start(rollsBack()).id();
    lostAnswers.nextWith("insert into run_step", 1); // the undo's insert, once b failed
    aSucceedsThenBFails(owner);

    awaitStarted(owner, 3);
    owner.report(owner.started.get(2), Outcome.Status.SUCCEEDED);
    awaitStatus(id, RunStatus.ROLLED_BACK);
    assertThat(runs.get(id).attempts()).as("one undo").hasSize(3);
  }

  @Test
  void an_undo_whose_end_answered_a_lost_connection_still_moves_the_rollback_on() throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    long id = a.start(rollsBack()).id();
    aSucceedsThenBFails(owner);
    awaitStarted(owner, 3); // a's undo

    lostAnswers.next(1);
    owner.report(owner.started.get(2), Outcome.Status.SUCCEEDED);
    awaitStatus(id, RunStatus.ROLLED_BACK);
    assertThat(attempt(id, "a", 1).status()).isEqualTo(StepStatus.ROLLED_BACK);
  }

  /**
   * A one-step run (one retry) on node "a" whose step succeeds while the database is out; the node
   * stops before it is back, its end kept on disk ({@code kept}) under work root {@code work}.
   */
  record Stopped(long runId, long stepRunId, java.time.Instant ended, Path kept) {}

  Stopped anEndWaitsAndItsNodeStops(Path work) throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner, work);
    long id = a.start(run(command("s").put("retries", 1))).id();
    awaitStarted(owner, 1);
    long step = owner.started.get(0);
    flaky.down(true);
    java.time.Instant ended = clock.instant();
    owner.report(step, Outcome.Status.SUCCEEDED);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> a.stepEndsWaiting() == 1);
    a.close();
    flaky.down(false);
    Path kept = work.resolve("step-ends").resolve(step + ".end");
    assertThat(kept).exists();
    return new Stopped(id, step, ended, kept);
  }

  @Test
  void an_end_that_waited_for_the_database_when_its_node_stopped_is_recorded_at_the_next_start()
      throws Exception {
    Path work = TempFolders.create("nightshift-engine-test-");
    Stopped stopped = anEndWaitsAndItsNodeStops(work);
    long id = stopped.runId();

    clock.advance(Duration.ofSeconds(20));
    ScriptedExecutor restarted = new ScriptedExecutor();
    engine("a", restarted, work).recover();
    awaitStatus(id, RunStatus.SUCCEEDED);
    assertThat(attempt(id, "s", 1).status())
        .as("its own outcome, not failed as lost (and retried)")
        .isEqualTo(StepStatus.SUCCEEDED);
    assertThat(attempt(id, "s", 1).finishedAt()).isEqualTo(stopped.ended());
    assertThat(runs.get(id).attempts()).hasSize(1);
    assertThat(restarted.started).isEmpty();
    assertThat(stopped.kept()).doesNotExist();
  }

  @Test
  void an_end_kept_on_disk_for_an_attempt_another_node_failed_meanwhile_is_dropped_at_start()
      throws Exception {
    Path work = TempFolders.create("nightshift-engine-test-");
    Stopped stopped = anEndWaitsAndItsNodeStops(work);
    long id = stopped.runId();
    Engine b = engine("b", new ScriptedExecutor());

    // a stays away: once b has reached the database for a lease expiry, it fails the attempt.
    sweepPastTwoLeaseExpiries(b);
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.FAILED);

    engine("a", new ScriptedExecutor(), work).recover();
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.FAILED);
    assertThat(attempt(id, "s", 1).error()).contains("executor lost");
    assertThat(stopped.kept()).doesNotExist();
  }

  @Test
  void a_kept_end_whose_run_could_not_be_reconciled_at_start_is_recorded_by_the_nodes_reaper()
      throws Exception {
    Path work = TempFolders.create("nightshift-engine-test-");
    Stopped stopped = anEndWaitsAndItsNodeStops(work);
    long id = stopped.runId();

    // The restart cannot reconcile the run (its read fails once): the kept end stays.
    flaky.fail("run_step", 1);
    Engine again = engine("a", new ScriptedExecutor(), work);
    again.recover();
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.RUNNING);
    assertThat(stopped.kept()).exists();

    // Its lease runs out: this node's reaper records the kept end, not "executor lost".
    sweepPastTwoLeaseExpiries(again);
    awaitStatus(id, RunStatus.SUCCEEDED);
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.SUCCEEDED);
    assertThat(attempt(id, "s", 1).finishedAt()).isEqualTo(stopped.ended());
    assertThat(runs.get(id).attempts()).hasSize(1);
    assertThat(stopped.kept()).doesNotExist();
  }

  @Test
  void a_node_starting_as_the_database_returns_leaves_expired_leases_to_their_owners_a_while()
      throws Exception {
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine a = engine("a", owner);
    long id = a.start(run(command("s"))).id();
    awaitStarted(owner, 1);
    clock.advance(Duration.ofSeconds(40)); // an outage: a could not renew

    Engine c = engine("c", new ScriptedExecutor());
    c.sweep();
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.RUNNING);
    clock.advance(Duration.ofSeconds(31));
    c.sweep();
    assertThat(attempt(id, "s", 1).status()).isEqualTo(StepStatus.FAILED);
  }

  @Test
  void a_sweep_slower_than_its_period_is_not_queued_again_behind_itself() throws Exception {
    Engine engine = engine("a", new ScriptedExecutor());
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    flaky.hold("lease_until is null", release); // the expired-lease query each sweep begins with
    assertThat(engine.sweepSoon()).isTrue();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> flaky.held() == 1);

    // The sweep waits (as for a connection through an outage): its next periods queue nothing.
    assertThat(engine.sweepSoon()).isFalse();
    assertThat(engine.sweepSoon()).isFalse();

    release.countDown();
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(engine::sweepSoon);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> flaky.held() == 2);
  }

  @Test
  void steps_that_can_start_together_start_in_one_change() throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("n1", executor);
    JsonArray none = new JsonArray();
    Run created =
        engine.start(
            run(
                command("a").put("needs", none),
                command("b").put("needs", none),
                command("c").put("needs", none)));
    awaitStarted(executor, 3);

    Run started = runs.get(created.id());
    assertThat(started.attempts()).allMatch(s -> s.status() == StepStatus.RUNNING);
    assertThat(started.revision()).as("one change").isEqualTo(created.revision() + 1);
  }

  @Test
  void the_last_attempts_end_and_the_runs_end_commit_together_or_not_at_all() throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("n1", executor);
    long id = engine.start(run(command("a"))).id();
    awaitStarted(executor, 1);
    int before = runs.get(id).revision();
    int eventsBefore = dsl.fetchCount(RUN_EVENT, RUN_EVENT.RUN_ID.eq(id));

    // The first try of the run's end fails: the step's end written before it in the same
    // transaction must go with it (else the retry would find the step ended and write the run's
    // end as a second change).
    flaky.fail("`finished_at` = ? where (`run`.`id`", 1);
    executor.report(executor.started.get(0), Outcome.Status.SUCCEEDED);

    awaitStatus(id, RunStatus.SUCCEEDED);
    assertThat(flaky.failuresLeft()).isZero();
    assertThat(attempt(id, "a", 1).status()).isEqualTo(StepStatus.SUCCEEDED);
    assertThat(runs.get(id).revision()).as("one change").isEqualTo(before + 1);
    assertThat(dsl.fetchCount(RUN_EVENT, RUN_EVENT.RUN_ID.eq(id)))
        .as("the step's and the run's event, once each")
        .isEqualTo(eventsBefore + 2);
  }

  @Test
  void a_failed_write_of_an_attempts_end_is_retried_and_the_run_moves_on() throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("n1", executor);
    long id =
        engine.start(run(command("a"), command("b").put("needs", new JsonArray().add("a")))).id();
    awaitStarted(executor, 1);

    flaky.fail("exit_code", 2);
    executor.report(executor.started.get(0), Outcome.Status.SUCCEEDED);

    awaitStarted(executor, 2);
    assertThat(flaky.failuresLeft()).isZero();
    assertThat(attempt(id, "a", 1).status()).isEqualTo(StepStatus.SUCCEEDED);
    executor.report(executor.started.get(1), Outcome.Status.SUCCEEDED);
    awaitStatus(id, RunStatus.SUCCEEDED);
  }

  @Test
  void an_attempt_whose_process_group_could_not_be_recorded_stays_owned_and_its_end_is_recorded()
      throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    executor.process = new AttemptExecutor.ProcessId(Integer.MAX_VALUE, "1");
    Engine engine = engine("n1", executor);
    flaky.fail("pid_started_at", 1);
    long id = engine.start(run(command("a"))).id();
    awaitStarted(executor, 1);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> flaky.failuresLeft() == 0);

    executor.report(executor.started.get(0), Outcome.Status.SUCCEEDED);

    awaitStatus(id, RunStatus.SUCCEEDED);
  }

  @Test
  void a_run_abandoned_by_a_failure_in_the_middle_of_advancing_is_moved_on_by_the_sweep()
      throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("n1", executor);
    flaky.fail("lease_owner", 1000);
    long id = engine.start(run(command("a"))).id();
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> flaky.failuresLeft() <= 995);
    flaky.fail("", 0);
    Awaitility.await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> executor.started.isEmpty());
    assertThat(attempt(id, "a", 1).status()).isEqualTo(StepStatus.PENDING);

    engine.sweep();
    assertThat(executor.started).as("within the stall grace").isEmpty();
    clock.advance(STALL_GRACE.plusSeconds(1));
    engine.sweep();

    assertThat(executor.started).containsExactly(attempt(id, "a", 1).id());
    executor.report(executor.started.get(0), Outcome.Status.SUCCEEDED);
    awaitStatus(id, RunStatus.SUCCEEDED);
  }

  @Test
  void the_sweep_leaves_a_run_whose_first_advance_waits_in_the_pool_to_it() throws Exception {
    ScriptedExecutor scripted = new ScriptedExecutor();
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicInteger entered =
        new java.util.concurrent.atomic.AtomicInteger();
    // The first four launches hold the engine's four threads, so the fifth run's advance waits.
    AttemptExecutor holding =
        (attempt, sink) -> {
          if (entered.incrementAndGet() <= 4) {
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return scripted.start(attempt, sink);
        };
    Engine engine = engine("n1", holding);
    for (int i = 0; i < 4; i++) {
      engine.start(run(command("a")));
    }
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> entered.get() == 4);
    long waiting = engine.start(run(command("a"))).id();

    try {
      // Past the stall grace, so only the queued advance keeps this node's sweep off the run.
      clock.advance(STALL_GRACE.plusSeconds(1));
      engine.sweep();

      assertThat(entered.get()).isEqualTo(4);
      assertThat(attempt(waiting, "a", 1).status()).isEqualTo(StepStatus.PENDING);
    } finally {
      release.countDown();
    }
    awaitStarted(scripted, 5);
    assertThat(scripted.started).doesNotHaveDuplicates().contains(attempt(waiting, "a", 1).id());
    assertThat(entered.get()).isEqualTo(5);
  }

  @Test
  void a_run_another_node_has_just_created_is_left_to_it_for_the_stall_grace() throws Exception {
    ScriptedExecutor other = new ScriptedExecutor();
    Engine b = engine("b", other);
    // Node A has stored the run; its first advance has not run yet (it waits in A's pool).
    long id = runs.create(run(command("a")), clock.instant()).id();

    clock.advance(STALL_GRACE.minusSeconds(1));
    b.sweep();
    assertThat(other.started).as("a run its node has just created is not stalled").isEmpty();
    assertThat(attempt(id, "a", 1).status()).isEqualTo(StepStatus.PENDING);

    clock.advance(Duration.ofSeconds(2));
    b.sweep();
    assertThat(other.started)
        .as("nothing moved it on for the stall grace: any node takes it over")
        .containsExactly(attempt(id, "a", 1).id());
    other.report(other.started.get(0), Outcome.Status.SUCCEEDED);
    awaitStatus(id, RunStatus.SUCCEEDED);
  }

  @Test
  void a_timed_out_step_times_the_run_out_unless_a_retry_applies() throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("n1", executor);
    long once = engine.start(run(command("a"))).id();
    long twice = engine.start(run(command("a").put("retries", 1))).id();
    awaitStarted(executor, 2);
    for (long id : List.copyOf(executor.started)) {
      executor.report(id, Outcome.Status.TIMED_OUT);
    }
    awaitStatus(once, RunStatus.TIMED_OUT);
    awaitStarted(executor, 3);
    assertThat(status(twice)).isEqualTo(RunStatus.RUNNING);
    executor.report(executor.started.get(2), Outcome.Status.SUCCEEDED);
    awaitStatus(twice, RunStatus.SUCCEEDED);
  }

  @Test
  void a_step_end_decided_on_a_copy_another_node_made_stale_is_decided_again_on_the_stored_run()
      throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("n1", executor);
    JsonObject gate = approval("gate").put("needs", new JsonArray()).put("onTimeout", "deny");
    long id = engine.start(run(command("a"), gate)).id();
    awaitStarted(executor, 1);
    awaitStatus(id, RunStatus.WAITING_APPROVAL);
    int before = runs.get(id).revision();

    // Another node decides the approval: this engine's copy of the run (gate waiting) is stale.
    ApprovalRepository elsewhere = new ApprovalRepository(dsl);
    long approval = elsewhere.list(ApprovalStatus.PENDING, id, null, 10).get(0).id();
    elsewhere.decide(
        approval,
        ApprovalStatus.APPROVED,
        StepStatus.SUCCEEDED,
        "carol",
        null,
        "approval.approve",
        clock.instant());
    assertThat(runs.get(id).revision()).isGreaterThan(before);
    assertThat(status(id)).isEqualTo(RunStatus.RUNNING);

    // a ends here: deciding on its stale copy (gate still waiting) would leave the run RUNNING
    // for good; the revision check makes it decide again on the stored run, which is complete.
    executor.report(executor.started.get(0), Outcome.Status.SUCCEEDED);

    awaitStatus(id, RunStatus.SUCCEEDED);
    assertThat(runs.get(id).attempts()).allMatch(s -> s.status() == StepStatus.SUCCEEDED);
  }

  @Test
  void an_approval_deadline_comes_due_when_the_clock_passes_it_on_any_node() throws Exception {
    Engine a = engine("a", new ScriptedExecutor());
    JsonObject gate = approval("gate").put("timeoutSeconds", 3600).put("onTimeout", "deny");
    long id = a.start(run(gate)).id();
    ApprovalRepository approvals = new ApprovalRepository(dsl);
    awaitStatus(id, RunStatus.WAITING_APPROVAL);

    Engine b = engine("b", new ScriptedExecutor());
    clock.advance(Duration.ofSeconds(3599));
    b.sweep();
    assertThat(approvals.list(ApprovalStatus.PENDING, id, null, 10)).hasSize(1);

    clock.advance(Duration.ofSeconds(2));
    b.sweep();
    assertThat(approvals.list(ApprovalStatus.EXPIRED, id, null, 10)).hasSize(1);
    awaitStatus(id, RunStatus.FAILED);
  }

  @Test
  void a_fire_reads_the_template_on_the_connection_that_holds_the_jobs_lock() throws Exception {
    Path dir = TempFolders.create("nightshift-one-connection-");
    io.nightshift.scheduler.store.DatabaseSettings h2 = TestDatabases.h2Settings(dir);
    try (Database one =
        Database.open(
            new io.nightshift.scheduler.store.DatabaseSettings(
                h2.url(), h2.user(), h2.password(), 2))) {
      var templates = new io.nightshift.scheduler.template.TemplateRepository(one.dsl());
      templates.create(
          TemplateParser.parse(
              new JsonObject().put("name", "t").put("steps", new JsonArray().add(command("a"))),
              null),
          "alice",
          clock.instant());
      var job =
          new io.nightshift.scheduler.job.JobRepository(one.dsl())
              .create(
                  io.nightshift.scheduler.job.JobParser.parse(
                      new JsonObject()
                          .put("name", "j")
                          .put("template", "t")
                          .put("schedule", new JsonObject().put("everySeconds", 3600)),
                      null,
                      null,
                      clock.instant()),
                  "alice",
                  clock.instant());
      ScriptedExecutor executor = new ScriptedExecutor();
      Engine engine =
          new Engine(
              new RunRepository(one.dsl()),
              new ApprovalRepository(one.dsl()),
              new NodeLeaseRepository(one.dsl()),
              one.dsl(),
              bus,
              executor,
              EngineSettings.defaults("n1", dir),
              LEASES,
              clock);
      closing.add(engine);
      var firing =
          new io.nightshift.scheduler.job.Firing(
              one.dsl(),
              templates,
              engine,
              "n1",
              engine.instance(),
              clock,
              clock,
              new io.micrometer.core.instrument.simple.SimpleMeterRegistry());

      // Another user holds the second connection: the fire has exactly one.
      try (java.sql.Connection held = one.dataSource().getConnection()) {
        var result = firing.fire(job.id(), clock.instant(), Trigger.INTERVAL);

        assertThat(result.outcome()).isEqualTo(io.nightshift.scheduler.job.FireOutcome.STARTED);
        awaitStarted(executor, 1);
      }
    }
  }
}
