package io.nightshift.scheduler.approval;

import static io.nightshift.sql.Tables.PENDING_APPROVAL;
import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;

import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.run.RunEventRepository;
import io.nightshift.scheduler.run.RunEvents;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.run.StepRun;
import io.nightshift.scheduler.run.StepStatus;
import io.nightshift.scheduler.run.Transitions;
import io.nightshift.scheduler.template.StepAction;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jooq.DSLContext;

/**
 * The changes of approvals. Parking a step and deciding it are each ONE transaction over the
 * approval row, the step and the run, with compare-and-set on their statuses: the first decision
 * wins, any later or concurrent one finds the row no longer PENDING and gets a {@link Conflict}.
 */
final class ApprovalChangeRepository {
  private final DSLContext dsl;

  ApprovalChangeRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /**
   * PENDING step -> WAITING_APPROVAL, its approval row, and the run -> WAITING_APPROVAL; only if
   * the run is still at {@code runRevision} (the copy the engine decided on), else {@link
   * io.nightshift.scheduler.run.StaleRun}.
   */
  long park(
      int runRevision,
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
          RunRepository.touch(tx, step.runId(), runRevision);
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
          List<String> weakened = new ArrayList<>();
          Requesters requesters = RequesterRepository.requesters(tx, step.runId(), weakened);
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
                  .set(PENDING_APPROVAL.REQUESTERS, new JsonArray(requesters.people()).encode())
                  .set(
                      PENDING_APPROVAL.WEAKENED,
                      weakened.isEmpty() ? null : new JsonArray(weakened).encode())
                  .returning(PENDING_APPROVAL.ID)
                  .fetchOne()
                  .getId();
          RunEventRepository.add(
              tx, step.runId(), RunEvents.step(step, StepStatus.WAITING_APPROVAL, now), now);
          if (runStatus(tx, step.runId(), RunStatus.RUNNING, RunStatus.WAITING_APPROVAL)) {
            RunEventRepository.add(
                tx,
                step.runId(),
                RunEvents.run(
                    step.runId(), RunStatus.WAITING_APPROVAL, RunStatus.RUNNING, null, now),
                now);
          }
          ApprovalEventRepository.announce(
              tx, "requested", ApprovalRepository.find(tx, id).orElseThrow(), now);
          return id;
        });
  }

  /**
   * Decides a PENDING approval: its step becomes {@code stepTo}; the run goes back to RUNNING when
   * no other approval of it is pending. A {@link Conflict} when it was already decided.
   */
  void decide(
      long id,
      ApprovalStatus to,
      StepStatus stepTo,
      String decidedBy,
      String comment,
      String auditAction,
      Instant now) {
    try {
      decideOnce(id, to, stepTo, decidedBy, comment, auditAction, now);
    } catch (DecidedMeanwhile e) {
      // Read again outside the transaction that lost: its snapshot may predate the winner's
      // commit, and the answer must name who decided.
      throw alreadyDecided(
          ApprovalRepository.find(dsl, id).orElseThrow(() -> new NotFound("approval", id)));
    }
  }

  /** Another decision of the approval committed while this one waited for the run's lock. */
  private static final class DecidedMeanwhile extends RuntimeException {
    DecidedMeanwhile() {
      super(null, null, false, false);
    }
  }

  private void decideOnce(
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
          Approval approval =
              ApprovalRepository.find(tx, id).orElseThrow(() -> new NotFound("approval", id));
          if (approval.status() != ApprovalStatus.PENDING) {
            throw alreadyDecided(approval);
          }
          // The run changes with its step: copies of it read before are out of date.
          RunRepository.touch(tx, approval.runId(), null);
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
            throw new DecidedMeanwhile();
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
          RunEventRepository.add(
              tx,
              approval.runId(),
              RunEvents.step(
                  approval.runId(),
                  approval.stepRunId(),
                  approval.step(),
                  ApprovalEventRepository.attempt(tx, approval.stepRunId()),
                  stepTo,
                  StepStatus.WAITING_APPROVAL,
                  now),
              now);
          if (!othersPending
              && runStatus(tx, approval.runId(), RunStatus.WAITING_APPROVAL, RunStatus.RUNNING)) {
            RunEventRepository.add(
                tx,
                approval.runId(),
                RunEvents.run(
                    approval.runId(), RunStatus.RUNNING, RunStatus.WAITING_APPROVAL, null, now),
                now);
          }
          ApprovalEventRepository.announce(
              tx,
              to == ApprovalStatus.EXPIRED ? "expired" : "decided",
              ApprovalRepository.find(tx, id).orElseThrow(),
              now);
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
  }

  /**
   * Closes the run's pending approvals (the run was canceled), in the transaction of the cancel's
   * run change (which moved the run's revision on).
   */
  void cancelForRun(long runId, String by, Instant now) {
    dsl.transaction(
        cfg -> {
          DSLContext tx = cfg.dsl();
          List<Long> steps =
              tx.select(PENDING_APPROVAL.STEP_RUN_ID)
                  .from(PENDING_APPROVAL)
                  .where(PENDING_APPROVAL.RUN_ID.eq(runId))
                  .and(PENDING_APPROVAL.STATUS.eq(ApprovalStatus.PENDING.name()))
                  .fetch(PENDING_APPROVAL.STEP_RUN_ID);
          List<Approval> closing =
              tx.selectFrom(PENDING_APPROVAL)
                  .where(PENDING_APPROVAL.RUN_ID.eq(runId))
                  .and(PENDING_APPROVAL.STATUS.eq(ApprovalStatus.PENDING.name()))
                  .fetch(ApprovalRepository::map);
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
          for (Approval closed : closing) {
            RunEventRepository.add(
                tx,
                runId,
                RunEvents.step(
                    runId,
                    closed.stepRunId(),
                    closed.step(),
                    ApprovalEventRepository.attempt(tx, closed.stepRunId()),
                    StepStatus.CANCELED,
                    StepStatus.WAITING_APPROVAL,
                    now),
                now);
          }
        });
  }

  private static boolean runStatus(DSLContext tx, long runId, RunStatus from, RunStatus to) {
    Transitions.check(runId, from, to);
    // The revision moved on at the start of the transaction.
    return tx.update(RUN)
            .set(RUN.STATUS, to.name())
            .where(RUN.ID.eq(runId))
            .and(RUN.STATUS.eq(from.name()))
            .execute()
        == 1;
  }

  private static Conflict alreadyDecided(Approval approval) {
    return new Conflict(
        "approval "
            + approval.id()
            + " was already decided: "
            + approval.status()
            + (approval.decidedBy() == null ? "" : " by " + approval.decidedBy()));
  }
}
