package io.nightshift.scheduler.run;

import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;

import io.nightshift.scheduler.template.StepKind;
import java.time.Instant;
import java.util.List;
import org.jooq.Condition;
import org.jooq.DSLContext;

/**
 * The SQL of step attempt rows, in the caller's transaction: start one, end one, add the next
 * attempt, add an undo, mark one rolled back. Every status change is a compare-and-set on the
 * current status that moves the row's revision on; {@link RunRepository} checks it with {@link
 * Transitions} first, moves the run's revision on and writes the event.
 */
final class StepRowRepository {
  private StepRowRepository() {}

  /** Moves the attempt from its status to {@code to}; false when it is no longer there. */
  static boolean start(
      DSLContext tx,
      StepRun step,
      StepStatus to,
      String node,
      RunRepository.Lease lease,
      Instant now) {
    return tx.update(RUN_STEP)
            .set(RUN_STEP.STATUS, to.name())
            .set(RUN_STEP.STARTED_AT, now)
            .set(RUN_STEP.NODE, node)
            .set(RUN_STEP.LEASE_OWNER, lease == null ? null : lease.owner())
            .set(RUN_STEP.LEASE_UNTIL, lease == null ? null : lease.until())
            .set(RUN_STEP.REVISION, RUN_STEP.REVISION.plus(1))
            .where(RUN_STEP.ID.eq(step.id()))
            .and(RUN_STEP.STATUS.eq(step.status().name()))
            .execute()
        == 1;
  }

  /**
   * Marks PENDING attempts that have no due time as due since {@code now}: ready, whoever starts
   * them (see {@link RunRepository#markDue}).
   */
  static int dueSince(DSLContext tx, List<Long> stepRunIds, Instant now) {
    return tx.update(RUN_STEP)
        .set(RUN_STEP.NOT_BEFORE, now)
        .where(RUN_STEP.ID.in(stepRunIds))
        .and(RUN_STEP.STATUS.eq(StepStatus.PENDING.name()))
        .and(RUN_STEP.NOT_BEFORE.isNull())
        .execute();
  }

  /** Ends the attempt if it is still {@code from} and {@code guard} holds; whether it did. */
  static boolean end(
      DSLContext tx,
      long stepRunId,
      StepStatus from,
      StepStatus to,
      Integer exitCode,
      String error,
      long lineCount,
      long linesDropped,
      Instant now,
      Condition guard) {
    return tx.update(RUN_STEP)
            .set(RUN_STEP.STATUS, to.name())
            .set(RUN_STEP.EXIT_CODE, exitCode)
            .set(RUN_STEP.ERROR, RunRepository.truncate(error))
            .set(RUN_STEP.LINE_COUNT, lineCount)
            .set(RUN_STEP.LINES_DROPPED, linesDropped)
            .set(RUN_STEP.FINISHED_AT, now)
            .set(RUN_STEP.LEASE_UNTIL, (Instant) null)
            .set(RUN_STEP.REVISION, RUN_STEP.REVISION.plus(1))
            .where(RUN_STEP.ID.eq(stepRunId))
            .and(RUN_STEP.STATUS.eq(from.name()))
            .and(guard)
            .execute()
        == 1;
  }

  /** The run's status, read with its row's lock taken (held to the end of the transaction). */
  static RunStatus lockedStatus(DSLContext tx, long runId) {
    return RunStatus.valueOf(
        tx.select(RUN.STATUS).from(RUN).where(RUN.ID.eq(runId)).forUpdate().fetchSingle().value1());
  }

  /**
   * Moves the run's revision on (taking its row's lock) only while it is {@code status}; whether it
   * was.
   */
  static boolean touchWhile(DSLContext tx, long runId, RunStatus status) {
    return tx.update(RUN)
            .set(RUN.REVISION, RUN.REVISION.plus(1))
            .where(RUN.ID.eq(runId))
            .and(RUN.STATUS.eq(status.name()))
            .execute()
        == 1;
  }

  /** Inserts the next attempt of a step, PENDING until {@code notBefore} (null: at once). */
  static StepRun nextAttempt(DSLContext tx, StepRun previous, Instant notBefore) {
    long id =
        tx.insertInto(RUN_STEP)
            .set(RUN_STEP.RUN_ID, previous.runId())
            .set(RUN_STEP.NAME, previous.name())
            .set(RUN_STEP.KIND, previous.kind().json())
            .set(RUN_STEP.POSITION, previous.position())
            .set(RUN_STEP.ATTEMPT, previous.attempt() + 1)
            .set(RUN_STEP.STATUS, StepStatus.PENDING.name())
            .set(RUN_STEP.NOT_BEFORE, notBefore)
            .set(RUN_STEP.REVISION, 1)
            .returning(RUN_STEP.ID)
            .fetchOne()
            .getId();
    return new StepRun(
        id,
        previous.runId(),
        previous.name(),
        previous.kind(),
        previous.position(),
        previous.attempt() + 1,
        StepStatus.PENDING,
        null,
        null,
        null,
        null,
        notBefore,
        null,
        null,
        null,
        0,
        0);
  }

  /** Inserts a RUNNING row for the undo of {@code step}, named {@code undo:<step>}; its id. */
  static long insertUndo(
      DSLContext tx, StepRun step, String node, RunRepository.Lease lease, Instant now) {
    return tx.insertInto(RUN_STEP)
        .set(RUN_STEP.RUN_ID, step.runId())
        .set(RUN_STEP.NAME, RunRepository.UNDO_PREFIX + step.name())
        .set(RUN_STEP.KIND, StepKind.COMMAND.json())
        .set(RUN_STEP.POSITION, step.position())
        .set(RUN_STEP.ATTEMPT, 1)
        .set(RUN_STEP.STATUS, StepStatus.RUNNING.name())
        .set(RUN_STEP.STARTED_AT, now)
        .set(RUN_STEP.NODE, node)
        .set(RUN_STEP.LEASE_OWNER, lease.owner())
        .set(RUN_STEP.LEASE_UNTIL, lease.until())
        .set(RUN_STEP.REVISION, 1)
        .returning(RUN_STEP.ID)
        .fetchOne()
        .getId();
  }

  /** SUCCEEDED -> ROLLED_BACK; false when the attempt was no longer SUCCEEDED. */
  static boolean rolledBack(DSLContext tx, long stepRunId) {
    return tx.update(RUN_STEP)
            .set(RUN_STEP.STATUS, StepStatus.ROLLED_BACK.name())
            .set(RUN_STEP.REVISION, RUN_STEP.REVISION.plus(1))
            .where(RUN_STEP.ID.eq(stepRunId))
            .and(RUN_STEP.STATUS.eq(StepStatus.SUCCEEDED.name()))
            .execute()
        == 1;
  }
}
