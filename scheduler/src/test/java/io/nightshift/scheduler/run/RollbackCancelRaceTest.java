package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.Outcome;
import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.approval.ApprovalRepository;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.jooq.DSLContext;
import org.jooq.ExecuteContext;
import org.jooq.ExecuteListener;
import org.junit.jupiter.api.Test;

/**
 * A cancel accepted by node b while node a moves the same rollback on (a's write of an undo's end,
 * or of the next undo, runs right after b's cancel committed): no undo starts after the cancel, the
 * undo's own outcome is recorded, and the run is CANCELED without waiting for the sweep.
 */
class RollbackCancelRaceTest extends EngineFixture {
  /** The method of node a before whose next taking of the run's row b's cancel commits. */
  private final AtomicReference<String> cancelDuring = new AtomicReference<>();

  private final AtomicReference<Runnable> cancel = new AtomicReference<>();

  /**
   * The statement with which a transaction of node a first takes the run's row: an unguarded
   * revision write, or a read of its status under the row's lock. A cancel committed any later
   * would wait for a's transaction.
   */
  private static boolean runRowTaken(String sql) {
    return sql.startsWith("update `run` set `run`.`revision`")
            && !sql.contains("`run`.`revision` = ?")
        || sql.startsWith("select `run`.`status` from `run`") && sql.endsWith("for update");
  }

  private Engine nodeA(ScriptedExecutor executor) throws Exception {
    ExecuteListener cancelFirst =
        new ExecuteListener() {
          @Override
          public void executeStart(ExecuteContext ctx) {
            String sql = ctx.sql().toLowerCase(java.util.Locale.ROOT);
            String method = cancelDuring.get();
            if (method != null
                && runRowTaken(sql)
                && Arrays.stream(Thread.currentThread().getStackTrace())
                    .anyMatch(f -> f.getMethodName().equals(method))
                && cancelDuring.compareAndSet(method, null)) {
              cancel.get().run();
            }
          }
        };
    DSLContext a =
        org.jooq.impl.DSL.using(
            dsl.configuration()
                .derive(new org.jooq.impl.DefaultExecuteListenerProvider(cancelFirst)));
    Engine engine =
        new Engine(
            new RunRepository(a),
            new ApprovalRepository(a),
            new NodeLeaseRepository(a),
            a,
            bus,
            executor,
            EngineSettings.defaults("a", TempFolders.create("nightshift-engine-test-"))
                .withWriteRetryPauses(QUICK_RETRIES),
            LEASES,
            clock);
    closing.add(engine);
    return engine;
  }

  /**
   * A two-undo rollback on node a whose first undo ends {@code status}, while node b's cancel
   * commits just before a's transaction in {@code during} takes the run's row. The run's id.
   */
  private long undoEndsAsBCancels(ScriptedExecutor executor, String during, Outcome.Status status)
      throws Exception {
    Engine a = nodeA(executor);
    Engine b = engine("b", new ScriptedExecutor());
    long id = a.start(twoUndos()).id();
    long undo = rollingBack(executor, id);
    cancel.set(() -> b.cancel(id, "bob"));
    cancelDuring.set(during);
    executor.report(undo, status);
    return id;
  }

  private void noFurtherUndo(ScriptedExecutor executor, long id) {
    Awaitility.await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(5))
        .until(() -> executor.started.size() == 4);
    assertThat(runs.get(id).attempts()).noneMatch(s -> s.name().equals("undo:first"));
  }

  @Test
  void a_cancel_committed_between_two_undos_starts_no_further_undo() throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    long id = undoEndsAsBCancels(executor, "insertUndo", Outcome.Status.SUCCEEDED);

    awaitStatus(id, RunStatus.CANCELED);
    assertThat(cancelDuring.get()).as("the cancel came in between").isNull();
    assertThat(attempt(id, "second", 1).status()).isEqualTo(StepStatus.ROLLED_BACK);
    noFurtherUndo(executor, id);
  }

  @Test
  void a_failed_undo_whose_rollback_was_canceled_meanwhile_keeps_its_outcome() throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    long id = undoEndsAsBCancels(executor, "undoEnded", Outcome.Status.FAILED);

    awaitStatus(id, RunStatus.CANCELED);
    assertThat(cancelDuring.get()).as("the cancel came in between").isNull();
    assertThat(attempt(id, "undo:second", 1).status()).isEqualTo(StepStatus.FAILED);
    assertThat(attempt(id, "undo:second", 1).error()).isEqualTo("failed");
    noFurtherUndo(executor, id);
  }

  @Test
  void a_succeeded_undo_whose_rollback_was_canceled_meanwhile_ends_the_run_at_once()
      throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    long id = undoEndsAsBCancels(executor, "undoEnded", Outcome.Status.SUCCEEDED);

    awaitStatus(id, RunStatus.CANCELED); // without a sweep: the clock never moves here
    assertThat(cancelDuring.get()).as("the cancel came in between").isNull();
    assertThat(attempt(id, "second", 1).status()).isEqualTo(StepStatus.ROLLED_BACK);
    noFurtherUndo(executor, id);
  }
}
