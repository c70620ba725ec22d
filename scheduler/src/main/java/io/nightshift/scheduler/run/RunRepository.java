package io.nightshift.scheduler.run;

import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;

import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.store.Page;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Runs and their step attempts (read by {@link RunReadRepository}; the attempt rows' SQL is in
 * {@link StepRowRepository}). Every status change is a compare-and-set on the current status,
 * checked by {@link Transitions} first, so two writers can never both move the same row.
 */
public final class RunRepository {
  /** Undo attempts are step rows named {@code undo:<step>} (a name no template step can have). */
  public static final String UNDO_PREFIX = "undo:";

  /** Statuses of a run that is not over (QUEUED aside): the engine still has work on it. */
  static final List<String> ACTIVE =
      List.of(
          RunStatus.RUNNING.name(),
          RunStatus.WAITING_APPROVAL.name(),
          RunStatus.CANCELING.name(),
          RunStatus.ROLLING_BACK.name());

  private final DSLContext dsl;

  /** True when {@link #dsl} is a transaction the caller runs (see {@link #in}). */
  private final Binding binding;

  /** How runs are read, through {@link #dsl}. */
  private final RunReadRepository reads;

  public RunRepository(DSLContext dsl) {
    this(dsl, new RunReadRepository(dsl), Binding.OWN);
  }

  private RunRepository(DSLContext dsl, RunReadRepository reads, Binding binding) {
    this.dsl = dsl;
    this.reads = reads;
    this.binding = binding;
  }

  /** Whose transaction a write runs in, and who moves the run's revision on. */
  private enum Binding {
    /** A transaction per write; each write moves the run's revision on. */
    OWN,
    /** The caller's transaction; each write moves the run's revision on. */
    CALLERS,
    /**
     * The caller's transaction of a {@link #change}: it already moved the revision on, once, from
     * the revision the caller decided on.
     */
    GUARDED
  }

  /** Stores a RUNNING run with attempt 1 of every step PENDING, and its audit record. */
  public Run create(NewRun run, Instant now) {
    return dsl.transactionResult(
        cfg -> {
          long id = NewRunRepository.insert(cfg.dsl(), run, RunStatus.RUNNING, now);
          return NewRunRepository.created(cfg.dsl(), id, run, RunStatus.RUNNING, now);
        });
  }

  /** The run with its step attempts. */
  public Optional<Run> find(long id) {
    return reads.find(id);
  }

  /** The run without its step attempts (what never changes, its status and times). */
  public Optional<Run> header(long id) {
    return reads.header(id);
  }

  /** One step attempt by its id (null when there is none). */
  public StepRun attempt(long stepRunId) {
    return reads.attempt(stepRunId);
  }

  /** The runs of these ids that exist, without their step attempts, in one read. */
  public Map<Long, Run> headers(java.util.Collection<Long> ids) {
    return reads.headers(ids);
  }

  /** The times of runs and of their step attempts, for metrics: by id, for the ids that exist. */
  public Map<Long, RunTimings> timings(java.util.Collection<Long> ids) {
    return reads.timings(ids);
  }

  public Run get(long id) {
    return find(id).orElseThrow(() -> new NotFound("run", id));
  }

  /**
   * Newest first, without step attempts: a keyset page that walks one index from {@code before} and
   * stops at the limit, whatever the number of runs.
   */
  public Page<Run> list(RunFilter filter) {
    return reads.list(filter);
  }

  /**
   * Moves the run from {@code from} to {@code to}; a {@link Conflict} if it is not {@code from}.
   */
  public void transition(long runId, RunStatus from, RunStatus to, String error, Instant now) {
    Transitions.check(runId, from, to);
    write(
        tx -> {
          var update = tx.update(RUN).set(RUN.STATUS, to.name());
          if (binding != Binding.GUARDED) {
            update = update.set(RUN.REVISION, RUN.REVISION.plus(1));
          }
          if (error != null) {
            update = update.set(RUN.ERROR, truncate(error));
          }
          if (to.terminal()) {
            update = update.set(RUN.FINISHED_AT, now);
          }
          int changed = update.where(RUN.ID.eq(runId)).and(RUN.STATUS.eq(from.name())).execute();
          if (changed == 0) {
            throw new Conflict("run " + runId + " is no longer " + from);
          }
          RunEventRepository.add(tx, runId, RunEvents.run(runId, to, from, error, now), now);
          return null;
        });
  }

  /**
   * PENDING -> RUNNING (or WAITING_APPROVAL), recording the node that runs it and, for RUNNING, the
   * lease: its owner (a node instance) and until when it holds without renewal.
   */
  public void start(StepRun step, StepStatus to, String node, Lease lease, Instant now) {
    Transitions.check(step.id(), step.status(), to);
    write(
        tx -> {
          touch(tx, step.runId());
          if (!StepRowRepository.start(tx, step, to, node, lease, now)) {
            throw new Conflict("step run " + step.id() + " is no longer " + step.status());
          }
          RunEventRepository.add(tx, step.runId(), RunEvents.step(step, to, now), now);
          return null;
        });
  }

  /** Who holds a RUNNING attempt, and until when. */
  public record Lease(String owner, Instant until) {}

  /** The process a RUNNING step started, so it can be found and killed after a crash. */
  public void recordProcess(long stepRunId, long pid, String startTicks) {
    dsl.update(RUN_STEP)
        .set(RUN_STEP.PID, pid)
        .set(RUN_STEP.PID_STARTED_AT, startTicks)
        .where(RUN_STEP.ID.eq(stepRunId))
        .execute();
  }

  /** Ends an attempt; false when it had already moved on (e.g. canceled meanwhile). */
  public boolean finish(
      StepRun step,
      StepStatus from,
      StepStatus to,
      Integer exitCode,
      String error,
      long lineCount,
      long linesDropped,
      Instant now) {
    return finish(
        step.id(),
        from,
        to,
        exitCode,
        error,
        lineCount,
        linesDropped,
        now,
        DSL.noCondition(),
        RunEvents.step(step.runId(), step.id(), step.name(), step.attempt(), to, from, now));
  }

  /**
   * Ends a RUNNING attempt as reported by its lease owner; false when the owner no longer holds it
   * (the lease expired and another node failed it): a late report is refused.
   */
  boolean finishOwned(StepRun step, String owner, EndReport end) {
    return finish(
        step.id(),
        StepStatus.RUNNING,
        end.to(),
        end.exitCode(),
        end.error(),
        end.lines(),
        end.dropped(),
        end.at(),
        RUN_STEP.LEASE_OWNER.eq(owner).or(RUN_STEP.LEASE_OWNER.isNull()),
        RunEvents.step(
            step.runId(),
            step.id(),
            step.name(),
            step.attempt(),
            end.to(),
            StepStatus.RUNNING,
            end.at()));
  }

  /**
   * Ends an attempt whose lease expired, as {@code to} (FAILED "executor lost", or the end its node
   * kept on disk), if it is still RUNNING under that same expired lease; whether it did.
   */
  boolean endExpired(AttemptLeaseRepository.Expired expired, EndReport end) {
    StepStatus to = end.to();
    Instant now = end.at();
    Condition stillExpired =
        expired.until() == null
            ? RUN_STEP.LEASE_UNTIL.isNull()
            : RUN_STEP.LEASE_UNTIL.eq(expired.until());
    return finish(
        expired.stepRunId(),
        StepStatus.RUNNING,
        to,
        end.exitCode(),
        end.error(),
        end.lines(),
        end.dropped(),
        now,
        stillExpired,
        RunEvents.step(
            expired.runId(),
            expired.stepRunId(),
            expired.name(),
            expired.attempt(),
            to,
            StepStatus.RUNNING,
            now));
  }

  private boolean finish(
      long stepRunId,
      StepStatus from,
      StepStatus to,
      Integer exitCode,
      String error,
      long lineCount,
      long linesDropped,
      Instant now,
      Condition guard,
      JsonObject event) {
    Transitions.check(stepRunId, from, to);
    return write(
        tx -> {
          touch(tx, event.getLong("runId"));
          boolean ended =
              StepRowRepository.end(
                  tx, stepRunId, from, to, exitCode, error, lineCount, linesDropped, now, guard);
          if (ended) {
            RunEventRepository.add(tx, event.getLong("runId"), event, now);
          }
          return ended;
        });
  }

  /**
   * Runs a change in the caller's transaction when this repository is bound to one, else in a
   * transaction of its own: a change and the event announcing it always commit together.
   */
  private <T> T write(java.util.function.Function<DSLContext, T> change) {
    return binding == Binding.OWN
        ? dsl.transactionResult(cfg -> change.apply(cfg.dsl()))
        : change.apply(dsl);
  }

  /**
   * Before a step row changes: the run's revision moves on (unless a {@link #change} guards this
   * transaction), so that a decision made on an older copy of the run is refused. The run row is
   * locked first, as in every change of a run.
   */
  private void touch(DSLContext tx, long runId) {
    if (binding != Binding.GUARDED) {
      touch(tx, runId, null);
    }
  }

  /**
   * Moves the run's revision on by one, only from {@code expected} when it is given: {@link
   * StaleRun} when the run is no longer there. Takes the run row's lock for the transaction.
   */
  public static void touch(DSLContext tx, long runId, Integer expected) {
    var update = tx.update(RUN).set(RUN.REVISION, RUN.REVISION.plus(1)).where(RUN.ID.eq(runId));
    int changed = (expected == null ? update : update.and(RUN.REVISION.eq(expected))).execute();
    if (changed == 0 && expected != null) {
      throw new StaleRun(runId, expected);
    }
  }

  /**
   * Writes a decision made on {@code run}, in one transaction, only if the run is still at {@code
   * run.revision()} (a {@link StaleRun} otherwise, and nothing is written). The run's revision is
   * then {@code run.revision() + 1}, whatever {@code work} wrote.
   */
  public <T> T change(Run run, java.util.function.Function<RunRepository, T> work) {
    java.util.function.Function<DSLContext, T> guarded =
        tx -> {
          touch(tx, run.id(), run.revision());
          return work.apply(new RunRepository(tx, reads.in(tx), Binding.GUARDED));
        };
    return binding == Binding.OWN
        ? dsl.transactionResult(cfg -> guarded.apply(cfg.dsl()))
        : guarded.apply(dsl);
  }

  /**
   * Runs {@code work} in one transaction with a repository bound to it: what it writes commits
   * together or not at all.
   */
  public <T> T atomically(java.util.function.Function<RunRepository, T> work) {
    return dsl.transactionResult(cfg -> work.apply(in(cfg.dsl())));
  }

  /** The context this repository writes through (its transaction when bound to one). */
  public DSLContext dsl() {
    return dsl;
  }

  /** This repository writing through {@code tx} (a transaction the caller runs). */
  public RunRepository in(DSLContext tx) {
    return new RunRepository(tx, reads.in(tx), Binding.CALLERS);
  }

  /**
   * Marks ready attempts (that have no due time) due since {@code now}, so that any node's sweep
   * starts them even while other steps of their run run ({@link SweepRepository#stalled}) should
   * the node that made them ready not (it drains, stops or fails before it starts them).
   */
  public int markDue(List<StepRun> steps, Instant now) {
    List<Long> ids = steps.stream().map(StepRun::id).toList();
    return write(tx -> StepRowRepository.dueSince(tx, ids, now));
  }

  /** Adds the next attempt of a step, PENDING until {@code notBefore} (null: at once). */
  public StepRun addAttempt(StepRun previous, Instant notBefore) {
    return write(
        tx -> {
          touch(tx, previous.runId());
          return StepRowRepository.nextAttempt(tx, previous, notBefore);
        });
  }

  /**
   * A RUNNING row for the undo of {@code step}, named {@code undo:<step>}, only while the run is
   * still ROLLING_BACK (a cancel may have ended the rollback meanwhile): null otherwise.
   */
  public StepRun insertUndo(StepRun step, String node, Lease lease, Instant now) {
    if (!StepRowRepository.touchWhile(dsl, step.runId(), RunStatus.ROLLING_BACK)) {
      return null;
    }
    long id = StepRowRepository.insertUndo(dsl, step, node, lease, now);
    StepRun undo = reads.attempt(id);
    RunEventRepository.add(
        dsl,
        step.runId(),
        RunEvents.step(
            step.runId(), id, undo.name(), 1, StepStatus.RUNNING, StepStatus.PENDING, now),
        now);
    return undo;
  }

  /** SUCCEEDED -> ROLLED_BACK once its undo succeeded. */
  public void rolledBack(StepRun step, Instant now) {
    Transitions.check(step.id(), StepStatus.SUCCEEDED, StepStatus.ROLLED_BACK);
    touch(dsl, step.runId());
    if (StepRowRepository.rolledBack(dsl, step.id())) {
      RunEventRepository.add(
          dsl,
          step.runId(),
          RunEvents.step(
              step.runId(),
              step.id(),
              step.name(),
              step.attempt(),
              StepStatus.ROLLED_BACK,
              StepStatus.SUCCEEDED,
              now),
          now);
    }
  }

  /** An error as stored: at most 2,000 characters. */
  static String truncate(String error) {
    return error == null || error.length() <= 2000 ? error : error.substring(0, 2000) + "...";
  }
}
