package io.nightshift.scheduler.job;

import static io.nightshift.sql.Tables.JOB;
import static io.nightshift.sql.Tables.JOB_FIRE;
import static io.nightshift.sql.Tables.WEBHOOK_DELIVERY;

import io.nightshift.scheduler.store.Page;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
      String node,
      String instance) {
    insertAll(
        tx,
        List.of(new Claimed(jobId, scheduledAt, outcome, reason, runId)),
        firedAt,
        node,
        instance);
  }

  /** A fire this node claimed and what it did about it. */
  public record Claimed(
      long jobId, Instant scheduledAt, FireOutcome outcome, String reason, Long runId) {}

  /**
   * Inserts fires claimed at {@code firedAt} in the caller's transaction with one statement; a
   * duplicate key (a fire another node claimed first) propagates to the caller.
   */
  public static void insertAll(
      DSLContext tx, List<Claimed> fires, Instant firedAt, String node, String instance) {
    var insert =
        tx.insertInto(
            JOB_FIRE,
            JOB_FIRE.JOB_ID,
            JOB_FIRE.SCHEDULED_AT,
            JOB_FIRE.FIRED_AT,
            JOB_FIRE.LAG_MS,
            JOB_FIRE.OUTCOME,
            JOB_FIRE.REASON,
            JOB_FIRE.RUN_ID,
            JOB_FIRE.NODE,
            JOB_FIRE.INSTANCE);
    for (Claimed f : fires) {
      String reason = f.reason();
      insert =
          insert.values(
              f.jobId(),
              f.scheduledAt(),
              firedAt,
              Math.max(0, Duration.between(f.scheduledAt(), firedAt).toMillis()),
              f.outcome().json(),
              reason == null || reason.length() <= 1000 ? reason : reason.substring(0, 1000),
              f.runId(),
              node,
              instance);
    }
    insert.execute();
  }

  /** A fire already recorded: by which node and instance, and what it did about it. */
  public record Recorded(
      String node, String instance, FireOutcome outcome, String reason, Long runId) {
    /**
     * Whether node instance {@code self} recorded it: a claim of it whose commit answered a lost
     * connection, tried again (any other fire found recorded is a duplicate).
     */
    public boolean by(String self) {
      return self.equals(instance);
    }
  }

  /**
   * Which of these fires (job id and scheduled time) are already recorded, and by which node: under
   * the jobs' row locks, another node claimed them first (or this one did, in a transaction whose
   * commit answered a lost connection).
   */
  public static Map<Map.Entry<Long, Instant>, Recorded> recorded(
      DSLContext tx, Collection<Long> jobIds, Collection<Instant> scheduledAt) {
    Map<Map.Entry<Long, Instant>, Recorded> found = new java.util.HashMap<>();
    tx.select(
            JOB_FIRE.JOB_ID,
            JOB_FIRE.SCHEDULED_AT,
            JOB_FIRE.NODE,
            JOB_FIRE.INSTANCE,
            JOB_FIRE.OUTCOME,
            JOB_FIRE.REASON,
            JOB_FIRE.RUN_ID)
        .from(JOB_FIRE)
        .where(JOB_FIRE.JOB_ID.in(jobIds))
        .and(JOB_FIRE.SCHEDULED_AT.in(scheduledAt))
        .forEach(
            r ->
                found.put(
                    Map.entry(r.value1(), r.value2()),
                    new Recorded(
                        r.value3(), r.value4(), outcome(r.value5()), r.value6(), r.value7())));
    return found;
  }

  private static FireOutcome outcome(String json) {
    return FireOutcome.valueOf(json.toUpperCase(Locale.ROOT));
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

  /**
   * The latest fire recorded of each of these jobs (by scheduled time: a fire recorded late, such
   * as a claim retried and then missed, does not hide a later one), by job id, in one read that the
   * unique (job_id, scheduled_at) index serves; a job with none is absent.
   */
  public Map<Long, Fire> latest(Collection<Long> jobIds) {
    Map<Long, Fire> latest = new java.util.HashMap<>();
    if (jobIds.isEmpty()) {
      return latest;
    }
    var newest =
        org.jooq
            .impl
            .DSL
            .select(
                JOB_FIRE.JOB_ID.as("newest_job"),
                org.jooq.impl.DSL.max(JOB_FIRE.SCHEDULED_AT).as("newest_at"))
            .from(JOB_FIRE)
            .where(JOB_FIRE.JOB_ID.in(jobIds))
            .groupBy(JOB_FIRE.JOB_ID)
            .asTable("newest");
    dsl.select(JOB_FIRE.asterisk(), JOB.NAME)
        .from(newest)
        .join(JOB_FIRE)
        .on(
            JOB_FIRE
                .JOB_ID
                .eq(newest.field("newest_job", Long.class))
                .and(JOB_FIRE.SCHEDULED_AT.eq(newest.field("newest_at", Instant.class))))
        .join(JOB)
        .on(JOB.ID.eq(JOB_FIRE.JOB_ID))
        .forEach(r -> latest.put(r.get(JOB_FIRE.JOB_ID), map(r)));
    return latest;
  }

  /**
   * The smallest job id above {@code after} that has fires (of a job that exists or not), or null:
   * the first entry of the unique (job_id, scheduled_at) index past it, so a walk over the jobs of
   * the cron log never reads it whole (a MIN() with a condition would, on H2).
   */
  public Long nextJobWithFires(long after) {
    return dsl.select(JOB_FIRE.JOB_ID)
        .from(JOB_FIRE)
        .where(JOB_FIRE.JOB_ID.gt(after))
        .orderBy(JOB_FIRE.JOB_ID)
        .limit(1)
        .fetchOptional(JOB_FIRE.JOB_ID)
        .orElse(null);
  }

  /** Whether job {@code jobId} still exists (fires of a deleted job are no longer listed). */
  public boolean jobExists(long jobId) {
    return dsl.fetchExists(JOB, JOB.ID.eq(jobId));
  }

  /** The scheduled time of the job's {@code n}-th newest fire, if it has that many. */
  public Optional<Instant> nthNewest(long jobId, int n) {
    return dsl.select(JOB_FIRE.SCHEDULED_AT)
        .from(JOB_FIRE)
        .where(JOB_FIRE.JOB_ID.eq(jobId))
        // The index's own columns, so that both stores read it backwards from the job's newest.
        .orderBy(JOB_FIRE.JOB_ID.desc(), JOB_FIRE.SCHEDULED_AT.desc())
        .limit(1)
        .offset(n - 1)
        .fetchOptional(JOB_FIRE.SCHEDULED_AT);
  }

  /**
   * Deletes up to {@code limit} of the job's fires scheduled before {@code before} (all of them
   * when null); how many went. One short statement: the caller repeats it while it deletes {@code
   * limit}.
   */
  public int deleteBefore(long jobId, Instant before, int limit) {
    var where = JOB_FIRE.JOB_ID.eq(jobId);
    if (before != null) {
      where = where.and(JOB_FIRE.SCHEDULED_AT.lt(before));
    }
    return dsl.deleteFrom(JOB_FIRE).where(where).limit(limit).execute();
  }

  /**
   * Deletes up to {@code limit} of the recorded attempts to deliver the job's fire events (to its
   * webhooks) made before {@code before} (all of them when null); how many went.
   */
  public int deleteDeliveriesBefore(long jobId, Instant before, int limit) {
    var where = WEBHOOK_DELIVERY.JOB_ID.eq(jobId);
    if (before != null) {
      where = where.and(WEBHOOK_DELIVERY.DELIVERED_AT.lt(before));
    }
    return dsl.deleteFrom(WEBHOOK_DELIVERY).where(where).limit(limit).execute();
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
        outcome(r.get(JOB_FIRE.OUTCOME)),
        r.get(JOB_FIRE.REASON),
        r.get(JOB_FIRE.RUN_ID),
        r.get(JOB_FIRE.NODE));
  }
}
