package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.executor.Outcome;
import io.nightshift.scheduler.SettableClock;
import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.approval.ApprovalRepository;
import io.nightshift.scheduler.logs.InProcessLogBus;
import io.nightshift.scheduler.logs.LogSettings;
import io.nightshift.scheduler.logs.LogStore;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.scheduler.template.TemplateParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the engine tests share: a real (embedded) store, a clock the test moves, and a test double
 * of the dispatch seam in place of processes, so each event (an outcome, a cancel, a lease running
 * out, a deadline passing) is the test's to trigger.
 */
abstract class EngineFixture {
  static final Duration STALL_GRACE = Duration.ofSeconds(20);

  static final LeaseSettings LEASES =
      new LeaseSettings(
          Duration.ofSeconds(10),
          Duration.ofSeconds(30),
          Duration.ofHours(1),
          Duration.ofHours(1),
          STALL_GRACE);

  /** As many tries of a failed write as in production, without their real-time pauses. */
  static final List<Duration> QUICK_RETRIES =
      Collections.nCopies(EngineSettings.WRITE_RETRY_PAUSES.size(), Duration.ofMillis(1));

  /** An end whose write takes longer is kept on disk meanwhile (production: 1 s). */
  static final Duration KEEP_END_AFTER = Duration.ofMillis(200);

  final SettableClock clock = SettableClock.now();
  final FlakyWrites flaky = new FlakyWrites();
  final LostCommitAnswers lostAnswers = new LostCommitAnswers();
  final List<AutoCloseable> closing = new ArrayList<>();
  Database database;
  DSLContext dsl;
  RunRepository runs;
  InProcessLogBus bus;

  @BeforeEach
  void store() throws Exception {
    database = TestDatabases.freshH2();
    dsl = lostAnswers.wrap(flaky.wrap(database.dsl()));
    runs = new RunRepository(dsl);
    bus = new InProcessLogBus(new LogStore(database), LogSettings.defaults("engine-test"), clock);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    bus.close();
    TestDatabases.close(database);
  }

  Engine engine(String node, AttemptExecutor executor) throws Exception {
    return engine(node, executor, TempFolders.create("nightshift-engine-test-"));
  }

  /** An engine whose work root (and ends kept on disk) is {@code work}, as after a restart. */
  Engine engine(String node, AttemptExecutor executor, Path work) throws Exception {
    Engine engine =
        new Engine(
            runs,
            new ApprovalRepository(dsl),
            new NodeLeaseRepository(dsl),
            dsl,
            bus,
            executor,
            EngineSettings.defaults(node, work)
                .withWriteRetryPauses(QUICK_RETRIES)
                .withKeepEndAfter(KEEP_END_AFTER),
            LEASES,
            clock);
    closing.add(engine);
    return engine;
  }

  static NewRun run(JsonObject... steps) {
    JsonObject template =
        new JsonObject().put("name", "t").put("steps", new JsonArray(List.of(steps)));
    return new NewRun(
        TemplateParser.parse(template, null), 1, null, Trigger.MANUAL, "alice", Map.of(), null);
  }

  /**
   * Starts a one-step run (step "a", retried once {@code backoffSeconds} after it failed) on {@code
   * engine} and fails its first attempt: the second waits PENDING for its backoff. Its id.
   */
  long inBackoff(Engine engine, ScriptedExecutor executor, int backoffSeconds) {
    long id =
        engine
            .start(run(command("a").put("retries", 1).put("retryBackoffSeconds", backoffSeconds)))
            .id();
    awaitStarted(executor, 1);
    executor.report(executor.started.get(0), Outcome.Status.FAILED);
    Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> runs.get(id).attempts().size() == 2);
    return id;
  }

  /** An approval step that people with the operator role decide. */
  static JsonObject approval(String name) {
    return new JsonObject()
        .put("name", name)
        .put("kind", "approval")
        .put("approvers", new JsonArray().add("role:operator"));
  }

  static JsonObject command(String name) {
    return new JsonObject().put("name", name).put("kind", "command").put("command", "true");
  }

  StepRun attempt(long runId, String step, int attempt) {
    return runs.get(runId).attempts().stream()
        .filter(a -> a.name().equals(step) && a.attempt() == attempt)
        .findFirst()
        .orElseThrow();
  }

  RunStatus status(long runId) {
    return runs.get(runId).status();
  }

  void awaitStatus(long runId, RunStatus status) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> status(runId) == status);
  }

  void awaitStarted(ScriptedExecutor executor, int count) {
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> executor.started.size() >= count);
  }

  /**
   * The database is out (or stays out) for {@code length}: every 10 s the clock moves on and each
   * of {@code failing} (sweeps, renewals) fails; then it is back.
   */
  void outage(Duration length, org.assertj.core.api.ThrowableAssert.ThrowingCallable... failing) {
    flaky.down(true);
    for (Duration out = Duration.ZERO; out.compareTo(length) < 0; out = out.plusSeconds(10)) {
      clock.advance(Duration.ofSeconds(10));
      for (var call : failing) {
        assertThatThrownBy(call).isInstanceOf(DataAccessException.class);
      }
    }
    flaky.down(false);
  }

  /** A run is never over while one of its attempts runs. */
  void assertNotOverWhileRunning(long runId) {
    Run run = runs.get(runId);
    if (run.attempts().stream().anyMatch(a -> a.status() == StepStatus.RUNNING)) {
      assertThat(run.status().terminal()).as("run %s with a RUNNING attempt", run).isFalse();
    }
  }

  /** a (with an undo), then b; the run rolls back when b fails. */
  static NewRun rollsBack() {
    JsonObject template =
        new JsonObject()
            .put("name", "t")
            .put("onFailure", "rollback")
            .put(
                "steps",
                new JsonArray()
                    .add(command("a").put("undo", "true"))
                    .add(command("b").put("needs", new JsonArray().add("a"))));
    return new NewRun(
        TemplateParser.parse(template, null), 1, null, Trigger.MANUAL, "alice", Map.of(), null);
  }

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
  long rollingBack(ScriptedExecutor executor, long id) {
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

  /** Of {@link #rollsBack()}: a succeeds, then b fails (the rollback begins). */
  void aSucceedsThenBFails(ScriptedExecutor owner) {
    awaitStarted(owner, 1);
    owner.report(owner.started.get(0), Outcome.Status.SUCCEEDED);
    awaitStarted(owner, 2);
    owner.report(owner.started.get(1), Outcome.Status.FAILED);
  }

  /**
   * The clock moves past a lease expiry twice, {@code sweeper} sweeping after each: once for its
   * own start-up hold-off (it judges no lease before it has reached the database that long), once
   * for the lease it then finds expired.
   */
  void sweepPastTwoLeaseExpiries(Engine sweeper) {
    clock.advance(Duration.ofSeconds(31));
    sweeper.sweep();
    clock.advance(Duration.ofSeconds(31));
    sweeper.sweep();
  }
}
