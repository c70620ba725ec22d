package io.nightshift.scheduler.run;

import static io.nightshift.sql.Tables.JOB;
import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * What the periodic sweep and a node's start read and start: runs that nothing moves on any more,
 * unfinished runs, and queued runs whose turn has come.
 */
public final class SweepRepository {
  private final DSLContext dsl;

  public SweepRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /**
   * Starts the job's oldest QUEUED run (QUEUED -> RUNNING) when none of its runs is active, under
   * the job's row lock (as its admission decides): two nodes, or a run's end and the sweep, never
   * both start one. The started run, if any.
   */
  public Optional<Long> startNextQueued(String job, Instant now) {
    return dsl.transactionResult(
        cfg -> {
          DSLContext tx = cfg.dsl();
          tx.select(JOB.ID).from(JOB).where(JOB.NAME.eq(job)).forUpdate().fetch();
          if (tx.fetchExists(RUN, RUN.JOB_NAME.eq(job).and(RUN.STATUS.in(RunRepository.ACTIVE)))) {
            return Optional.<Long>empty();
          }
          Optional<Long> next =
              tx.select(RUN.ID)
                  .from(RUN)
                  .where(RUN.JOB_NAME.eq(job))
                  .and(RUN.STATUS.eq(RunStatus.QUEUED.name()))
                  .orderBy(RUN.ID)
                  .limit(1)
                  .fetchOptional(RUN.ID);
          if (next.isEmpty()) {
            return next;
          }
          long runId = next.get();
          Transitions.check(runId, RunStatus.QUEUED, RunStatus.RUNNING);
          int started =
              tx.update(RUN)
                  .set(RUN.STATUS, RunStatus.RUNNING.name())
                  .set(RUN.STARTED_AT, now)
                  .set(RUN.REVISION, RUN.REVISION.plus(1))
                  .where(RUN.ID.eq(runId))
                  .and(RUN.STATUS.eq(RunStatus.QUEUED.name()))
                  .execute();
          if (started == 0) {
            return Optional.<Long>empty();
          }
          RunEventRepository.add(
              tx, runId, RunEvents.run(runId, RunStatus.RUNNING, RunStatus.QUEUED, null, now), now);
          return next;
        });
  }

  /** Jobs that have QUEUED runs (checked at start). */
  public List<String> jobsWithQueuedRuns() {
    return dsl.selectDistinct(RUN.JOB_NAME)
        .from(RUN)
        .where(RUN.STATUS.eq(RunStatus.QUEUED.name()))
        .and(RUN.JOB_NAME.isNotNull())
        .fetch(RUN.JOB_NAME);
  }

  /**
   * Runs that are not over and that were not created, started, changed (a step started or ended)
   * nor came due (a backoff ended) since {@code quietSince}, and that have either nothing running,
   * nothing waiting for a decision and nothing due later, or an attempt whose backoff ended before
   * {@code quietSince} still waiting to start (whatever sibling runs or waits meanwhile): whatever
   * should move them on was lost (a crash, a failed write, the node that armed the backoff's timer
   * went away). A run some node is starting or moving on right now is not stalled. Oldest first.
   */
  public List<Long> stalled(Instant now, Instant quietSince, int limit) {
    var recent =
        DSL.selectOne()
            .from(RUN_STEP)
            .where(RUN_STEP.RUN_ID.eq(RUN.ID))
            .and(
                RUN_STEP
                    .STARTED_AT
                    .ge(quietSince)
                    .or(RUN_STEP.FINISHED_AT.ge(quietSince))
                    .or(RUN_STEP.NOT_BEFORE.ge(quietSince)));
    var busy =
        DSL.selectOne()
            .from(RUN_STEP)
            .where(RUN_STEP.RUN_ID.eq(RUN.ID))
            .and(
                RUN_STEP
                    .STATUS
                    .in(StepStatus.RUNNING.name(), StepStatus.WAITING_APPROVAL.name())
                    .or(
                        RUN_STEP
                            .STATUS
                            .eq(StepStatus.PENDING.name())
                            .and(RUN_STEP.NOT_BEFORE.gt(now))));
    var overdue =
        DSL.selectOne()
            .from(RUN_STEP)
            .where(RUN_STEP.RUN_ID.eq(RUN.ID))
            .and(RUN_STEP.STATUS.eq(StepStatus.PENDING.name()))
            .and(RUN_STEP.NOT_BEFORE.lt(quietSince));
    return dsl.select(RUN.ID)
        .from(RUN)
        .where(RUN.STATUS.in(RunRepository.ACTIVE))
        .and(RUN.CREATED_AT.lt(quietSince))
        .and(RUN.STARTED_AT.isNull().or(RUN.STARTED_AT.lt(quietSince)))
        .and(DSL.notExists(busy).or(DSL.exists(overdue)))
        .andNotExists(recent)
        .orderBy(RUN.ID)
        .limit(limit)
        .fetch(RUN.ID);
  }

  /** Ids of runs in a non-terminal status, oldest first (reconciled at start). */
  public List<Long> unfinished() {
    return dsl.select(RUN.ID)
        .from(RUN)
        .where(RUN.STATUS.in(RunRepository.ACTIVE))
        .orderBy(RUN.ID)
        .fetch(RUN.ID);
  }
}
