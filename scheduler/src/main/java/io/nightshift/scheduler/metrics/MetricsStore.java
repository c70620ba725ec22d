package io.nightshift.scheduler.metrics;

import static io.nightshift.sql.Tables.JOB;
import static io.nightshift.sql.Tables.PENDING_APPROVAL;
import static io.nightshift.sql.Tables.RUN;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/** The few store-wide figures the metrics show: read on a timer, never on the event loop. */
public final class MetricsStore {
  private final DSLContext dsl;

  public MetricsStore(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** Pending approvals: how many, and when the oldest was requested (null when none). */
  public record PendingApprovals(int count, Instant oldestRequestedAt) {}

  public PendingApprovals pendingApprovals() {
    var row =
        dsl.select(DSL.count(), DSL.min(PENDING_APPROVAL.REQUESTED_AT))
            .from(PENDING_APPROVAL)
            .where(PENDING_APPROVAL.STATUS.eq("PENDING"))
            .fetchOne();
    return new PendingApprovals(row.value1(), row.value2());
  }

  /**
   * Every existing job with the finish time of its latest succeeded run (null: none yet). Walks
   * each job's runs newest first on the (job, id) index and stops at the first success.
   */
  public Map<String, Instant> lastSuccessByJob() {
    Map<String, Instant> out = new LinkedHashMap<>();
    for (String job : dsl.select(JOB.NAME).from(JOB).orderBy(JOB.NAME).fetch(JOB.NAME)) {
      out.put(
          job,
          dsl.select(RUN.FINISHED_AT)
              .from(RUN)
              .where(RUN.JOB_NAME.eq(job))
              .and(RUN.STATUS.eq("SUCCEEDED"))
              .orderBy(RUN.ID.desc())
              .limit(1)
              .fetchOptional(RUN.FINISHED_AT)
              .orElse(null));
    }
    return out;
  }
}
