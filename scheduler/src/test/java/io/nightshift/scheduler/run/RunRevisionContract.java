package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.scheduler.SettableClock;
import io.nightshift.scheduler.approval.ApprovalRepository;
import io.nightshift.scheduler.approval.ApprovalStatus;
import io.nightshift.scheduler.secrets.SecretCipher;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.scheduler.template.StepAction;
import io.nightshift.scheduler.template.StepKind;
import io.nightshift.scheduler.template.TemplateParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The run's revision on a real store (embedded and MariaDB: {@link H2RunRevisionTest}, {@link
 * MySqlRunRevisionTest}): every change of a run or of one of its attempts moves it on, and a
 * decision written on an older copy is refused whole ({@link StaleRun}), nothing of it stored.
 */
abstract class RunRevisionContract {
  final SettableClock clock = SettableClock.now();
  Database database;
  DSLContext dsl;
  RunRepository runs;

  abstract Database open();

  @BeforeEach
  void store() {
    database = open();
    dsl = database.dsl();
    runs = new RunRepository(dsl);
  }

  @AfterEach
  void close() {
    TestDatabases.close(database);
  }

  /** A RUNNING run of two independent steps, a and b (b an approval), both PENDING. */
  Run newRun() {
    JsonObject template =
        new JsonObject()
            .put("name", "t")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "a")
                            .put("kind", "command")
                            .put("command", "true"))
                    .add(
                        new JsonObject()
                            .put("name", "b")
                            .put("kind", "approval")
                            .put("approvers", new JsonArray().add("ops"))));
    return runs.create(
        new NewRun(
            TemplateParser.parse(template, null), 1, null, Trigger.MANUAL, "alice", Map.of(), null),
        clock.instant());
  }

  StepRun step(Run run, String name) {
    return run.latestByName().get(name);
  }

  long events(long runId) {
    return new RunEventRepository(dsl).backlog();
  }

  @Test
  void a_change_on_the_current_copy_is_written_and_moves_the_revision_on_by_one() {
    Run run = newRun();
    Instant now = clock.instant();

    runs.change(
        run,
        tx -> {
          tx.start(step(run, "a"), StepStatus.RUNNING, "n", new RunRepository.Lease("i", now), now);
          tx.transition(run.id(), RunStatus.RUNNING, RunStatus.CANCELING, "x", now);
          return null;
        });

    Run stored = runs.get(run.id());
    assertThat(stored.revision()).isEqualTo(run.revision() + 1);
    assertThat(step(stored, "a").status()).isEqualTo(StepStatus.RUNNING);
    assertThat(stored.status()).isEqualTo(RunStatus.CANCELING);
  }

  @Test
  void a_decision_on_a_copy_another_change_made_stale_is_refused_and_nothing_of_it_is_stored() {
    Run copy = newRun();
    Instant now = clock.instant();
    // Another node starts step a meanwhile (a plain write: it moves the revision on too).
    runs.start(
        step(copy, "a"), StepStatus.RUNNING, "other", new RunRepository.Lease("o", now), now);
    long eventsBefore = events(copy.id());

    // This node, deciding on its older copy, would skip b and end the run.
    assertThatThrownBy(
            () ->
                runs.change(
                    copy,
                    tx -> {
                      tx.finish(
                          step(copy, "b"),
                          StepStatus.PENDING,
                          StepStatus.SKIPPED,
                          null,
                          "x",
                          0,
                          0,
                          now);
                      tx.transition(copy.id(), RunStatus.RUNNING, RunStatus.FAILED, "x", now);
                      return null;
                    }))
        .isInstanceOf(StaleRun.class);

    Run stored = runs.get(copy.id());
    assertThat(step(stored, "b").status()).isEqualTo(StepStatus.PENDING);
    assertThat(stored.status()).isEqualTo(RunStatus.RUNNING);
    assertThat(stored.revision()).isEqualTo(copy.revision() + 1);
    assertThat(events(copy.id())).as("no event of the refused change").isEqualTo(eventsBefore);
  }

  @Test
  void every_kind_of_change_of_a_run_or_its_attempts_moves_the_revision_on() {
    Run run = newRun();
    Instant now = clock.instant();
    StepRun a = step(run, "a");
    List<Runnable> changes =
        List.of(
            () -> runs.start(a, StepStatus.RUNNING, "n", new RunRepository.Lease("i", now), now),
            () ->
                runs.finish(
                    step(runs.get(run.id()), "a"),
                    StepStatus.RUNNING,
                    StepStatus.FAILED,
                    1,
                    "boom",
                    0,
                    0,
                    now),
            () -> runs.atomically(tx -> tx.addAttempt(step(runs.get(run.id()), "a"), null)),
            () -> {
              Run current = runs.get(run.id());
              new ApprovalRepository(dsl)
                  .park(
                      current.revision(),
                      step(current, "b"),
                      new StepAction.Approval(List.of("ops"), null, "deny"),
                      "alice",
                      null,
                      "n",
                      now);
            },
            () -> {
              ApprovalRepository approvals = new ApprovalRepository(dsl);
              long id = approvals.list(ApprovalStatus.PENDING, run.id(), null, 10).get(0).id();
              approvals.decide(
                  id,
                  ApprovalStatus.APPROVED,
                  StepStatus.SUCCEEDED,
                  "bob",
                  null,
                  "approval.approve",
                  now);
            },
            () -> runs.transition(run.id(), RunStatus.RUNNING, RunStatus.CANCELED, "x", now));
    int revision = run.revision();
    for (Runnable change : changes) {
      change.run();
      int after = runs.get(run.id()).revision();
      assertThat(after).as("revision after a change").isGreaterThan(revision);
      revision = after;
    }
  }

  @Test
  void the_times_of_runs_and_of_each_attempt_read_back_in_one_read_for_the_metrics() {
    Run other = newRun();
    Run run = newRun();
    Instant t0 = clock.instant();
    runs.start(step(run, "a"), StepStatus.RUNNING, "n", new RunRepository.Lease("i", t0), t0);
    runs.finish(
        step(runs.get(run.id()), "a"),
        StepStatus.RUNNING,
        StepStatus.FAILED,
        1,
        "boom",
        0,
        0,
        t0.plusSeconds(2));
    StepRun second = runs.atomically(tx -> tx.addAttempt(step(runs.get(run.id()), "a"), null));
    runs.start(
        second, StepStatus.RUNNING, "n", new RunRepository.Lease("i", t0), t0.plusSeconds(3));
    runs.finish(
        step(runs.get(run.id()), "a"),
        StepStatus.RUNNING,
        StepStatus.SUCCEEDED,
        0,
        null,
        0,
        0,
        t0.plusSeconds(5));
    runs.transition(run.id(), RunStatus.RUNNING, RunStatus.CANCELED, "x", t0.plusSeconds(6));

    Map<Long, RunTimings> read = runs.timings(List.of(run.id(), other.id(), run.id() + 1000));
    assertThat(read).containsOnlyKeys(run.id(), other.id());
    assertThat(read.get(other.id()).attempts())
        .containsExactly(
            new RunTimings.Attempt("a", null, null), new RunTimings.Attempt("b", null, null));
    RunTimings timings = read.get(run.id());

    assertThat(timings.template()).isEqualTo("t");
    assertThat(timings.job()).isNull();
    assertThat(timings.startedAt()).isEqualTo(run.startedAt());
    assertThat(timings.finishedAt()).isEqualTo(t0.plusSeconds(6));
    assertThat(timings.attempts())
        .containsExactly(
            new RunTimings.Attempt("a", t0, t0.plusSeconds(2)),
            new RunTimings.Attempt("a", t0.plusSeconds(3), t0.plusSeconds(5)),
            new RunTimings.Attempt("b", null, null));
    assertThat(runs.timings(List.of())).isEmpty();
  }

  @Test
  void a_created_run_is_what_a_read_of_it_returns() {
    Run created = newRun();
    assertThat(created).isEqualTo(runs.get(created.id()));

    // A queued run of a job, with values (one of them secret), kept steps and sub-millisecond time.
    JsonObject template =
        new JsonObject()
            .put("name", "t2")
            .put(
                "params",
                new JsonArray()
                    .add(new JsonObject().put("name", "host"))
                    .add(new JsonObject().put("name", "pw").put("secret", true)))
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "a")
                            .put("kind", "command")
                            .put("command", "true"))
                    .add(
                        new JsonObject()
                            .put("name", "b")
                            .put("kind", "command")
                            .put("command", "true")
                            .put("needs", new JsonArray().add("a"))));
    StepRun kept =
        new StepRun(
            7,
            created.id(),
            "a",
            StepKind.COMMAND,
            0,
            2,
            StepStatus.SUCCEEDED,
            0,
            null,
            clock.instant(),
            clock.instant().plusSeconds(1),
            null,
            "n",
            42L,
            "99",
            3,
            0);
    NewRun request =
        new NewRun(
            TemplateParser.parse(template, null),
            3,
            "nightly",
            Trigger.RETRY,
            "bob",
            Map.of("host", "db1", "pw", "s3cret"),
            created.id(),
            List.of(kept));
    byte[] key = new byte[SecretCipher.KEY_BYTES];
    new java.security.SecureRandom().nextBytes(key);
    SecretCipher.of(key, List.of()).attach(dsl);
    Instant now = clock.instant().plusNanos(123_456);
    Run queued =
        dsl.transactionResult(
            cfg -> {
              long id = NewRunRepository.insert(cfg.dsl(), request, RunStatus.QUEUED, now);
              return NewRunRepository.created(cfg.dsl(), id, request, RunStatus.QUEUED, now);
            });

    assertThat(queued).isEqualTo(runs.get(queued.id()));
    assertThat(queued.attempts())
        .extracting(StepRun::status)
        .containsExactly(StepStatus.SUCCEEDED, StepStatus.PENDING);
  }

  @Test
  void a_decision_that_loses_to_one_committed_meanwhile_is_told_who_decided() {
    Run run = newRun();
    Instant now = clock.instant();
    ApprovalRepository approvals = new ApprovalRepository(dsl);
    approvals.park(
        run.revision(),
        step(run, "b"),
        new StepAction.Approval(List.of("ops"), null, "deny"),
        "alice",
        null,
        "n",
        now);
    long id = approvals.list(ApprovalStatus.PENDING, run.id(), null, 10).get(0).id();
    // Carol's deny commits after bob's decision has read the approval (still PENDING) and before
    // it writes: as when both arrive at once on two nodes.
    java.util.concurrent.atomic.AtomicBoolean denied =
        new java.util.concurrent.atomic.AtomicBoolean();
    org.jooq.ExecuteListener denyFirst =
        new org.jooq.ExecuteListener() {
          @Override
          public void executeStart(org.jooq.ExecuteContext ctx) {
            if (ctx.sql().toLowerCase(java.util.Locale.ROOT).startsWith("update `run` set")
                && denied.compareAndSet(false, true)) {
              approvals.decide(
                  id,
                  ApprovalStatus.DENIED,
                  StepStatus.DENIED,
                  "carol",
                  "no",
                  "approval.deny",
                  now);
            }
          }
        };
    DSLContext racing =
        org.jooq.impl.DSL.using(
            dsl.configuration()
                .derive(new org.jooq.impl.DefaultExecuteListenerProvider(denyFirst)));

    assertThatThrownBy(
            () ->
                new ApprovalRepository(racing)
                    .decide(
                        id,
                        ApprovalStatus.APPROVED,
                        StepStatus.SUCCEEDED,
                        "bob",
                        null,
                        "approval.approve",
                        now))
        .isInstanceOf(io.nightshift.scheduler.error.Conflict.class)
        .hasMessage("approval " + id + " was already decided: DENIED by carol");
    assertThat(denied).isTrue();
    assertThat(approvals.get(id).status()).isEqualTo(ApprovalStatus.DENIED);
    assertThat(step(runs.get(run.id()), "b").status()).isEqualTo(StepStatus.DENIED);
  }

  @Test
  void parking_an_approval_on_a_stale_copy_is_refused() {
    Run copy = newRun();
    Instant now = clock.instant();
    runs.start(step(copy, "a"), StepStatus.RUNNING, "n", new RunRepository.Lease("i", now), now);

    assertThatThrownBy(
            () ->
                new ApprovalRepository(dsl)
                    .park(
                        copy.revision(),
                        step(copy, "b"),
                        new StepAction.Approval(List.of("ops"), null, "deny"),
                        "alice",
                        null,
                        "n",
                        now))
        .isInstanceOf(StaleRun.class);
    assertThat(step(runs.get(copy.id()), "b").status()).isEqualTo(StepStatus.PENDING);
    assertThat(new ApprovalRepository(dsl).list(ApprovalStatus.PENDING, copy.id(), null, 10))
        .isEmpty();
  }
}
