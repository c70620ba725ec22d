package io.nightshift.scheduler.approval;

import static io.nightshift.sql.Tables.PENDING_APPROVAL;

import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.run.StepRun;
import io.nightshift.scheduler.run.StepStatus;
import io.nightshift.scheduler.template.StepAction;
import io.nightshift.sql.tables.records.PendingApprovalRecord;
import io.vertx.core.json.JsonArray;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Approvals: parking a step on one, deciding and canceling it (each ONE transaction, written by
 * {@link ApprovalChangeRepository}: the first decision wins, a later one gets a {@link Conflict}),
 * and reading them.
 */
public final class ApprovalRepository {
  private final DSLContext dsl;
  private final ApprovalChangeRepository changes;

  public ApprovalRepository(DSLContext dsl) {
    this.dsl = dsl;
    this.changes = new ApprovalChangeRepository(dsl);
  }

  /**
   * PENDING step -> WAITING_APPROVAL, its approval row, and the run -> WAITING_APPROVAL; only if
   * the run is still at {@code runRevision} (the copy the engine decided on), else {@link
   * io.nightshift.scheduler.run.StaleRun}.
   */
  public long park(
      int runRevision,
      StepRun step,
      StepAction.Approval action,
      String requestedBy,
      Instant expiresAt,
      String node,
      Instant now) {
    return changes.park(runRevision, step, action, requestedBy, expiresAt, node, now);
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
    changes.decide(id, to, stepTo, decidedBy, comment, auditAction, now);
    return get(id);
  }

  /**
   * Closes the run's pending approvals (the run was canceled), in the transaction of the cancel's
   * run change (which moved the run's revision on).
   */
  public void cancelForRun(long runId, String by, Instant now) {
    changes.cancelForRun(runId, by, now);
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

  static Optional<Approval> find(DSLContext tx, long id) {
    return tx.selectFrom(PENDING_APPROVAL)
        .where(PENDING_APPROVAL.ID.eq(id))
        .fetchOptional(ApprovalRepository::map);
  }

  static Approval map(PendingApprovalRecord r) {
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
        r.getComment(),
        r.getRequesters() == null ? null : new Requesters(strings(r.getRequesters())),
        r.getWeakened() == null ? List.of() : strings(r.getWeakened()));
  }

  private static List<String> strings(String json) {
    List<String> out = new ArrayList<>();
    new JsonArray(json).forEach(v -> out.add(String.valueOf(v)));
    return out;
  }
}
