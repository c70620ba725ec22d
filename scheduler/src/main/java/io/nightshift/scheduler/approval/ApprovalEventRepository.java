package io.nightshift.scheduler.approval;

import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;

import io.nightshift.executor.Instants;
import io.nightshift.scheduler.run.RunEventRepository;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.jooq.DSLContext;

/**
 * What an approval change adds to its run's events, in the change's transaction: the approval event
 * itself and the attempt number of the approval step's events.
 */
final class ApprovalEventRepository {
  private ApprovalEventRepository() {}

  static int attempt(DSLContext tx, long stepRunId) {
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
  static void announce(DSLContext tx, String event, Approval approval, Instant now) {
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
}
