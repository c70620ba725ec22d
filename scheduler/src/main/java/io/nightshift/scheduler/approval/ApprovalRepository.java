package io.nightshift.scheduler.approval;

import static io.nightshift.sql.Tables.API_TOKEN;
import static io.nightshift.sql.Tables.AUDIT_EVENT;
import static io.nightshift.sql.Tables.PENDING_APPROVAL;
import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;
import static io.nightshift.sql.Tables.TEMPLATE;
import static io.nightshift.sql.Tables.TEMPLATE_VERSION;

import io.nightshift.executor.Instants;
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
import io.nightshift.scheduler.template.TemplateRepository;
import io.nightshift.sql.tables.records.PendingApprovalRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
          Requesters requesters = requesters(tx, step.runId(), weakened);
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
          announce(tx, "requested", find(tx, id).orElseThrow(), now);
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
          RunEventRepository.add(
              tx,
              approval.runId(),
              RunEvents.step(
                  approval.runId(),
                  approval.stepRunId(),
                  approval.step(),
                  attempt(tx, approval.stepRunId()),
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
          announce(
              tx,
              to == ApprovalStatus.EXPIRED ? "expired" : "decided",
              find(tx, id).orElseThrow(),
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
    return get(id);
  }

  /**
   * Closes the run's pending approvals (the run was canceled), in the transaction of the cancel's
   * run change (which moved the run's revision on).
   */
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
                    attempt(tx, closed.stepRunId()),
                    StepStatus.CANCELED,
                    StepStatus.WAITING_APPROVAL,
                    now),
                now);
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

  /**
   * Who asked for run {@code runId}: along its retry chain, each run's starter, its job's creator
   * and last changer, its template version's author, and whoever weakened an approval step of its
   * template up to that version (those changes are added to {@code weakened}). Token names become
   * their owners.
   */
  private static Requesters requesters(DSLContext tx, long runId, List<String> weakened) {
    Set<String> names = new LinkedHashSet<>();
    Long at = runId;
    for (int hops = 0; at != null && hops < 100; hops++) {
      var run =
          tx.select(
                  RUN.TRIGGERED_BY,
                  RUN.JOB_NAME,
                  RUN.TEMPLATE_NAME,
                  RUN.TEMPLATE_VERSION,
                  RUN.RETRY_OF)
              .from(RUN)
              .where(RUN.ID.eq(at))
              .fetchOne();
      if (run == null) {
        break;
      }
      names.add(run.value1());
      if (run.value2() != null) {
        for (String action : List.of("job.create", "job.update")) {
          tx.select(AUDIT_EVENT.ACTOR)
              .from(AUDIT_EVENT)
              .where(AUDIT_EVENT.TARGET_KIND.eq("job"))
              .and(AUDIT_EVENT.TARGET.eq(run.value2()))
              .and(AUDIT_EVENT.ACTION.eq(action))
              .orderBy(AUDIT_EVENT.ID.desc())
              .limit(1)
              .fetchOptional(AUDIT_EVENT.ACTOR)
              .ifPresent(names::add);
        }
      }
      tx.select(TEMPLATE_VERSION.CREATED_BY)
          .from(TEMPLATE_VERSION)
          .join(TEMPLATE)
          .on(TEMPLATE.ID.eq(TEMPLATE_VERSION.TEMPLATE_ID))
          .where(TEMPLATE.NAME.eq(run.value3()))
          .and(TEMPLATE_VERSION.VERSION.eq(run.value4()))
          .fetchOptional(TEMPLATE_VERSION.CREATED_BY)
          .ifPresent(names::add);
      for (var change :
          tx.select(AUDIT_EVENT.ACTOR, AUDIT_EVENT.DETAIL)
              .from(AUDIT_EVENT)
              .where(AUDIT_EVENT.TARGET_KIND.eq("template"))
              .and(AUDIT_EVENT.TARGET.eq(run.value3()))
              .and(AUDIT_EVENT.ACTION.eq(TemplateRepository.WEAKENED))
              .orderBy(AUDIT_EVENT.ID.desc())
              .limit(20)
              .fetch()) {
        JsonObject detail = new JsonObject(change.value2());
        int version = detail.getInteger("version", 0);
        if (version <= run.value4()) {
          names.add(change.value1());
          String sentence =
              "template '"
                  + run.value3()
                  + "' version "
                  + version
                  + " by "
                  + change.value1()
                  + ": "
                  + String.join("; ", detail.getJsonArray("changes").getList());
          if (!weakened.contains(sentence)) {
            weakened.add(sentence);
          }
        }
      }
      at = run.value5();
    }
    names.removeAll(Requesters.NOT_PEOPLE);
    Set<String> people = new LinkedHashSet<>();
    Map<String, String> owners =
        tx.select(API_TOKEN.NAME, API_TOKEN.OWNER)
            .from(API_TOKEN)
            .where(API_TOKEN.NAME.in(names))
            .fetchMap(API_TOKEN.NAME, API_TOKEN.OWNER);
    for (String name : names) {
      String owner = owners.get(name);
      people.add(owner == null ? name : owner);
    }
    return new Requesters(new ArrayList<>(people));
  }

  private static Optional<Approval> find(DSLContext tx, long id) {
    return tx.selectFrom(PENDING_APPROVAL)
        .where(PENDING_APPROVAL.ID.eq(id))
        .fetchOptional(ApprovalRepository::map);
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

  private static int attempt(DSLContext tx, long stepRunId) {
    return tx.select(RUN_STEP.ATTEMPT)
        .from(RUN_STEP)
        .where(RUN_STEP.ID.eq(stepRunId))
        .fetchOptional(RUN_STEP.ATTEMPT)
        .orElse(1);
  }

  /**
   * The approval event ({@code requested}, {@code decided}, {@code expired}) in the change's
   * transaction, with the run's status as stored by it (WAITING_APPROVAL while it waits).
   */
  private static void announce(DSLContext tx, String event, Approval approval, Instant now) {
    String runStatus =
        tx.select(RUN.STATUS).from(RUN).where(RUN.ID.eq(approval.runId())).fetchOne(RUN.STATUS);
    RunEventRepository.add(
        tx,
        approval.runId(),
        new JsonObject()
            .put("type", "approval")
            .put("event", event)
            .put("approvalId", approval.id())
            .put("runId", approval.runId())
            .put("step", approval.step())
            .put("status", approval.status().name())
            .put("decidedBy", approval.decidedBy())
            .put("runStatus", runStatus)
            .put(
                "approval",
                new JsonObject()
                    .put("id", approval.id())
                    .put("step", approval.step())
                    .put("status", approval.status().name())
                    .put("approvers", new JsonArray(approval.approvers()))
                    .put("message", approval.message())
                    .put("expiresAt", Instants.format(approval.expiresAt()))
                    .put("decidedBy", approval.decidedBy())
                    .put("comment", approval.comment()))
            .put("ts", Instants.format(now)),
        now);
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
