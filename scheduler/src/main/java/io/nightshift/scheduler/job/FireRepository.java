package io.nightshift.scheduler.job;

import static io.nightshift.sql.Tables.JOB;
import static io.nightshift.sql.Tables.JOB_FIRE;

import io.nightshift.scheduler.store.Page;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.Record;

/**
 * The cron log. The unique key (job, scheduled time) is the claim: whichever node inserts the row
 * first owns the fire; the others get a duplicate key and drop it.
 */
public final class FireRepository {
  private final DSLContext dsl;

  public FireRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** Inserts the fire in the caller's transaction; a duplicate key propagates to the caller. */
  public static void insert(
      DSLContext tx,
      long jobId,
      Instant scheduledAt,
      Instant firedAt,
      FireOutcome outcome,
      String reason,
      Long runId,
      String node) {
    tx.insertInto(JOB_FIRE)
        .set(JOB_FIRE.JOB_ID, jobId)
        .set(JOB_FIRE.SCHEDULED_AT, scheduledAt)
        .set(JOB_FIRE.FIRED_AT, firedAt)
        .set(JOB_FIRE.LAG_MS, Math.max(0, Duration.between(scheduledAt, firedAt).toMillis()))
        .set(JOB_FIRE.OUTCOME, outcome.json())
        .set(
            JOB_FIRE.REASON,
            reason == null || reason.length() <= 1000 ? reason : reason.substring(0, 1000))
        .set(JOB_FIRE.RUN_ID, runId)
        .set(JOB_FIRE.NODE, node)
        .execute();
  }

  /** The latest scheduled time recorded for the job at or before {@code atOrBefore}. */
  public Optional<Instant> lastScheduled(long jobId, Instant atOrBefore) {
    return Optional.ofNullable(
        dsl.select(org.jooq.impl.DSL.max(JOB_FIRE.SCHEDULED_AT))
            .from(JOB_FIRE)
            .where(JOB_FIRE.JOB_ID.eq(jobId))
            .and(JOB_FIRE.SCHEDULED_AT.le(atOrBefore))
            .fetchOne(0, Instant.class));
  }

  /** The latest scheduled time recorded for the job, whatever its outcome. */
  public Optional<Instant> lastScheduled(long jobId) {
    return Optional.ofNullable(
        dsl.select(org.jooq.impl.DSL.max(JOB_FIRE.SCHEDULED_AT))
            .from(JOB_FIRE)
            .where(JOB_FIRE.JOB_ID.eq(jobId))
            .fetchOne(0, Instant.class));
  }

  /** Newest scheduled time first; {@code before} is a fire id cursor. */
  public Page<Fire> page(long jobId, Long before, int limit) {
    var where = JOB_FIRE.JOB_ID.eq(jobId);
    if (before != null) {
      where = where.and(JOB_FIRE.ID.lt(before));
    }
    List<Fire> rows =
        dsl.select(JOB_FIRE.asterisk(), JOB.NAME)
            .from(JOB_FIRE)
            .join(JOB)
            .on(JOB.ID.eq(JOB_FIRE.JOB_ID))
            .where(where)
            .orderBy(JOB_FIRE.ID.desc())
            .limit(limit + 1)
            .fetch(FireRepository::map);
    return Page.of(rows, limit, f -> String.valueOf(f.id()));
  }

  private static Fire map(Record r) {
    return new Fire(
        r.get(JOB_FIRE.ID),
        r.get(JOB.NAME),
        r.get(JOB_FIRE.SCHEDULED_AT),
        r.get(JOB_FIRE.FIRED_AT),
        r.get(JOB_FIRE.LAG_MS),
        FireOutcome.valueOf(r.get(JOB_FIRE.OUTCOME).toUpperCase(Locale.ROOT)),
        r.get(JOB_FIRE.REASON),
        r.get(JOB_FIRE.RUN_ID),
        r.get(JOB_FIRE.NODE));
  }
}
