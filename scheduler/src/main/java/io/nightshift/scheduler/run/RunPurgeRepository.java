package io.nightshift.scheduler.run;

import static io.nightshift.sql.Tables.LOG_LINE;
import static io.nightshift.sql.Tables.PENDING_APPROVAL;
import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;
import static io.nightshift.sql.Tables.WEBHOOK_DELIVERY;
import static io.nightshift.sql.Tables.WEBHOOK_OUTBOX;

import io.nightshift.scheduler.store.Retention;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;

/** Reads and deletes for {@link RunRetention}: old runs in id order, and a run with all it owns. */
public final class RunPurgeRepository {
  /** Log lines one statement deletes. */
  static final int LOG_BATCH = 10_000;

  private final DSLContext dsl;

  public RunPurgeRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** What the retention needs of a run. */
  public record Aged(
      long id, String jobName, String status, Instant createdAt, Instant finishedAt) {}

  /** Up to {@code limit} runs after id {@code after}, oldest first (the primary key's order). */
  public List<Aged> after(long after, int limit) {
    return dsl.select(RUN.ID, RUN.JOB_NAME, RUN.STATUS, RUN.CREATED_AT, RUN.FINISHED_AT)
        .from(RUN)
        .where(RUN.ID.gt(after))
        .orderBy(RUN.ID)
        .limit(limit)
        .fetch(
            r ->
                new Aged(
                    r.get(RUN.ID),
                    r.get(RUN.JOB_NAME),
                    r.get(RUN.STATUS),
                    r.get(RUN.CREATED_AT),
                    r.get(RUN.FINISHED_AT)));
  }

  /**
   * Those of {@code runIds} that a remaining run was retried from: kept while the retry is, since
   * who may approve a retry is read along its chain of runs (four eyes).
   */
  public java.util.Set<Long> retriedFrom(Collection<Long> runIds) {
    if (runIds.isEmpty()) {
      return java.util.Set.of();
    }
    return new java.util.HashSet<>(
        dsl.selectDistinct(RUN.RETRY_OF)
            .from(RUN)
            .where(RUN.RETRY_OF.in(runIds))
            .fetch(RUN.RETRY_OF));
  }

  /** The id of the job's {@code n}-th newest run, if it has that many (read from its index). */
  public Optional<Long> nthNewest(String jobName, int n) {
    return dsl.select(RUN.ID)
        .from(RUN)
        .where(RUN.JOB_NAME.eq(jobName))
        .orderBy(RUN.JOB_NAME.desc(), RUN.ID.desc())
        .limit(1)
        .offset(n - 1)
        .fetchOptional(RUN.ID);
  }

  /**
   * Deletes these runs with what they own: their log lines first, {@link #LOG_BATCH} at a time (a
   * run may have a million), then in one transaction their steps, approvals, webhook deliveries
   * (made and still to make) and the runs themselves. Interrupted between the two, a run stays
   * whole but for its log lines (which their own retention may have taken already). Their events in
   * the outbox are not looked for: the relay deletes those an hour after it published them.
   */
  public void delete(Collection<Long> runIds) {
    if (runIds.isEmpty()) {
      return;
    }
    Retention.repeat(
        LOG_BATCH,
        () ->
            dsl.deleteFrom(LOG_LINE).where(LOG_LINE.RUN_ID.in(runIds)).limit(LOG_BATCH).execute());
    dsl.transaction(
        cfg -> {
          DSLContext tx = cfg.dsl();
          tx.deleteFrom(RUN_STEP).where(RUN_STEP.RUN_ID.in(runIds)).execute();
          tx.deleteFrom(PENDING_APPROVAL).where(PENDING_APPROVAL.RUN_ID.in(runIds)).execute();
          tx.deleteFrom(WEBHOOK_DELIVERY).where(WEBHOOK_DELIVERY.RUN_ID.in(runIds)).execute();
          tx.deleteFrom(WEBHOOK_OUTBOX).where(WEBHOOK_OUTBOX.RUN_ID.in(runIds)).execute();
          tx.deleteFrom(RUN).where(RUN.ID.in(runIds)).execute();
        });
  }
}
