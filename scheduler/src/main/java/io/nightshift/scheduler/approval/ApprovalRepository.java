package io.nightshift.scheduler.approval;

import static io.nightshift.sql.Tables.PENDING_APPROVAL;
import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;

import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.run.StepRun;
import io.nightshift.scheduler.run.StepStatus;
import io.nightshift.scheduler.run.Transitions;
import io.nightshift.scheduler.template.StepAction;
import io.nightshift.sql.tables.records.PendingApprovalRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Approvals. Parking a step and deciding it are each ONE transaction over the approval row, the
 * step and the run, with compare-and-set on their statuses: the first decision wins, any later or
 * concurrent one finds the row no longer PENDING and gets a {@link Conflict}.
 */
public final class ApprovalRepository {
  private final DSLContext dsl;

  public ApprovalRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** PENDING step -> WAITING_APPROVAL, its approval row, and the run -> WAITING_APPROVAL. */
  public long park(
      StepRun step,
      StepAction.Approval action,
      String requestedBy,
      Instant expiresAt,
      String node,
      Instant now) {
    return dsl.transactionResult(
        cfg -> {
          DSLContext tx = cfg.dsl();
          Transitions.check(step.id(), step.status(), StepStatus.WAITING_APPROVAL);
          int changed =
              tx.update(RUN_STEP)
                  .set(RUN_STEP.STATUS, StepStatus.WAITING_APPROVAL.name())
                  .set(RUN_STEP.STARTED_AT, now)
                  .set(RUN_STEP.NODE, node)
                  .set(RUN_STEP.REVISION, RUN_STEP.REVISION.plus(1))
                  .where(RUN_STEP.ID.eq(step.id()))
                  .and(RUN_STEP.STATUS.eq(step.status().name()))
                  .execute();
          if (changed == 0) {
            throw new Conflict("step run " + step.id() + " is no longer " + step.status());
          }
          long id =
              tx.insertInto(PENDING_APPROVAL)
                  .set(PENDING_APPROVAL.RUN_ID, step.runId())
                  .set(PENDING_APPROVAL.STEP_RUN_ID, step.id())
                  .set(PENDING_APPROVAL.STEP_NAME, step.name())
                  .set(PENDING_APPROVAL.STATUS, ApprovalStatus.PENDING.name())
                  .set(PENDING_APPROVAL.APPROVERS, new JsonArray(action.approvers()).encode())
                  .set(PENDING_APPROVAL.MESSAGE, action.message())
                  .set(PENDING_APPROVAL.ON_TIMEOUT, action.onTimeout())
                  .set(PENDING_APPROVAL.REQUESTED_BY, requestedBy)
                  .set(PENDING_APPROVAL.REQUESTED_AT, now)
                  .set(PENDING_APPROVAL.EXPIRES_AT, expiresAt)
                  .returning(PENDING_APPROVAL.ID)
                  .fetchOne()
                  .getId();
          runStatus(tx, step.runId(), RunStatus.RUNNING, RunStatus.WAITING_APPROVAL);
          return id;
        });
  }

  /**
   * Decides a PENDING approval: its step becomes {@code stepTo}; the run goes back to RUNNING when
   * no other approval of it is pending. A {@link Conflict} when it was already decided.
   */
  public Approval decide(
      long id,
      ApprovalStatus to,
      StepStatus stepTo,
      String decidedBy,
      String comment,
      String auditAction,
      Instant now) {
    dsl.transaction(
        cfg -> {
          DSLContext tx = cfg.dsl();
          Approval approval = find(tx, id).orElseThrow(() -> new NotFound("approval", id));
          int changed =
              tx.update(PENDING_APPROVAL)
                  .set(PENDING_APPROVAL.STATUS, to.name())
                  .set(PENDING_APPROVAL.DECIDED_BY, decidedBy)
                  .set(PENDING_APPROVAL.DECIDED_AT, now)
                  .set(PENDING_APPROVAL.COMMENT, comment)
                  .where(PENDING_APPROVAL.ID.eq(id))
                  .and(PENDING_APPROVAL.STATUS.eq(ApprovalStatus.PENDING.name()))
                  .execute();
          if (changed == 0) {
            throw alreadyDecided(approval);
          }
          Transitions.check(approval.stepRunId(), StepStatus.WAITING_APPROVAL, stepTo);
          tx.update(RUN_STEP)
              .set(RUN_STEP.STATUS, stepTo.name())
              .set(RUN_STEP.FINISHED_AT, now)
              .set(
                  RUN_STEP.ERROR,
                  stepTo == StepStatus.SUCCEEDED
                      ? null
                      : stepTo.name().toLowerCase(java.util.Locale.ROOT)
                          + " by "
                          + decidedBy
                          + (comment == null ? "" : ": " + comment))
              .set(RUN_STEP.REVISION, RUN_STEP.REVISION.plus(1))
              .where(RUN_STEP.ID.eq(approval.stepRunId()))
              .and(RUN_STEP.STATUS.eq(StepStatus.WAITING_APPROVAL.name()))
              .execute();
          boolean othersPending =
              tx.fetchExists(
                  PENDING_APPROVAL,
                  PENDING_APPROVAL
                      .RUN_ID
                      .eq(approval.runId())
                      .and(PENDING_APPROVAL.STATUS.eq(ApprovalStatus.PENDING.name())));
          if (!othersPending) {
            runStatus(tx, approval.runId(), RunStatus.WAITING_APPROVAL, RunStatus.RUNNING);
          }
          AuditLog.write(
              tx,
              now,
              decidedBy,
              auditAction,
              "approval",
              String.valueOf(id),
              new JsonObject()
                  .put("runId", approval.runId())
                  .put("step", approval.step())
                  .put("status", to.name())
                  .put("comment", comment));
        });
    return get(id);
  }

  /** Closes the run's pending approvals (the run was canceled). */
  public void cancelForRun(long runId, String by, Instant now) {
    dsl.transaction(
        cfg -> {
          DSLContext tx = cfg.dsl();
          List<Long> steps =
              tx.select(PENDING_APPROVAL.STEP_RUN_ID)
                  .from(PENDING_APPROVAL)
                  .where(PENDING_APPROVAL.RUN_ID.eq(runId))
                  .and(PENDING_APPROVAL.STATUS.eq(ApprovalStatus.PENDING.name()))
                  .fetch(PENDING_APPROVAL.STEP_RUN_ID);
          tx.update(PENDING_APPROVAL)
              .set(PENDING_APPROVAL.STATUS, ApprovalStatus.CANCELED.name())
              .set(PENDING_APPROVAL.DECIDED_BY, by)
              .set(PENDING_APPROVAL.DECIDED_AT, now)
              .set(PENDING_APPROVAL.COMMENT, "the run was canceled")
              .where(PENDING_APPROVAL.RUN_ID.eq(runId))
              .and(PENDING_APPROVAL.STATUS.eq(ApprovalStatus.PENDING.name()))
              .execute();
          if (!steps.isEmpty()) {
            tx.update(RUN_STEP)
                .set(RUN_STEP.STATUS, StepStatus.CANCELED.name())
                .set(RUN_STEP.FINISHED_AT, now)
                .set(RUN_STEP.ERROR, "canceled by " + by)
                .where(RUN_STEP.ID.in(steps))
                .and(RUN_STEP.STATUS.eq(StepStatus.WAITING_APPROVAL.name()))
                .execute();
          }
        });
  }

  public Optional<Approval> find(long id) {
    return find(dsl, id);
  }

  public Approval get(long id) {
    return find(id).orElseThrow(() -> new NotFound("approval", id));
  }

  /** Newest first, filtered by status and run when given, older than {@code beforeId} if given. */
  public List<Approval> list(ApprovalStatus status, Long runId, Long beforeId, int limit) {
    Condition where = DSL.noCondition();
    if (beforeId != null) {
      where = where.and(PENDING_APPROVAL.ID.lt(beforeId));
    }
    if (status != null) {
      where = where.and(PENDING_APPROVAL.STATUS.eq(status.name()));
    }
    if (runId != null) {
      where = where.and(PENDING_APPROVAL.RUN_ID.eq(runId));
    }
    return dsl.selectFrom(PENDING_APPROVAL)
        .where(where)
        .orderBy(PENDING_APPROVAL.ID.desc())
        .limit(limit)
        .fetch(ApprovalRepository::map);
  }

  /** Pending approvals with a deadline: their timers are armed again at start. */
  public List<Approval> pendingWithDeadline() {
    return dsl.selectFrom(PENDING_APPROVAL)
        .where(PENDING_APPROVAL.STATUS.eq(ApprovalStatus.PENDING.name()))
        .and(PENDING_APPROVAL.EXPIRES_AT.isNotNull())
        .fetch(ApprovalRepository::map);
  }

  private static Optional<Approval> find(DSLContext tx, long id) {
    return tx.selectFrom(PENDING_APPROVAL)
        .where(PENDING_APPROVAL.ID.eq(id))
        .fetchOptional(ApprovalRepository::map);
  }

  private static void runStatus(DSLContext tx, long runId, RunStatus from, RunStatus to) {
    Transitions.check(runId, from, to);
    tx.update(RUN)
        .set(RUN.STATUS, to.name())
        .set(RUN.REVISION, RUN.REVISION.plus(1))
        .where(RUN.ID.eq(runId))
        .and(RUN.STATUS.eq(from.name()))
        .execute();
  }

  private static Conflict alreadyDecided(Approval approval) {
    return new Conflict(
        "approval "
            + approval.id()
            + " was already decided: "
            + approval.status()
            + (approval.decidedBy() == null ? "" : " by " + approval.decidedBy()));
  }

  private static Approval map(PendingApprovalRecord r) {
    List<String> approvers = new ArrayList<>();
    new JsonArray(r.getApprovers()).forEach(a -> approvers.add(String.valueOf(a)));
    return new Approval(
        r.getId(),
        r.getRunId(),
        r.getStepRunId(),
        r.getStepName(),
        ApprovalStatus.valueOf(r.getStatus()),
        approvers,
        r.getMessage(),
        r.getOnTimeout(),
        r.getRequestedBy(),
        r.getRequestedAt(),
        r.getExpiresAt(),
        r.getDecidedBy(),
        r.getDecidedAt(),
        r.getComment());
  }
}
