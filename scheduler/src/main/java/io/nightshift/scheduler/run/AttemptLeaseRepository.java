package io.nightshift.scheduler.run;

import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;

import java.time.Instant;
import java.util.List;
import org.jooq.DSLContext;

/**
 * Who holds the RUNNING attempts: the leases node instances renew on the attempts they execute,
 * those that ran out (their owner stopped), and which held attempts belong to a canceling run. The
 * attempts' status changes themselves go through {@link RunRepository}.
 */
public final class AttemptLeaseRepository {
  private final DSLContext dsl;

  public AttemptLeaseRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** An attempt whose lease has expired: its owner stopped renewing it. */
  public record Expired(
      long stepRunId, long runId, String name, int attempt, String owner, Instant until) {}

  /**
   * Extends the leases {@code owner} holds on these RUNNING attempts; returns those it still holds.
   */
  public java.util.Set<Long> renew(String owner, java.util.Collection<Long> ids, Instant until) {
    if (ids.isEmpty()) {
      return java.util.Set.of();
    }
    dsl.update(RUN_STEP)
        .set(RUN_STEP.LEASE_UNTIL, until)
        .where(RUN_STEP.ID.in(ids))
        .and(RUN_STEP.LEASE_OWNER.eq(owner))
        .and(RUN_STEP.STATUS.eq(StepStatus.RUNNING.name()))
        .execute();
    return new java.util.HashSet<>(
        dsl.select(RUN_STEP.ID)
            .from(RUN_STEP)
            .where(RUN_STEP.ID.in(ids))
            .and(RUN_STEP.LEASE_OWNER.eq(owner))
            .and(RUN_STEP.STATUS.eq(StepStatus.RUNNING.name()))
            .fetch(RUN_STEP.ID));
  }

  /** Of these attempts, those whose run is CANCELING (their owner kills them). */
  public List<Long> ofCancelingRuns(java.util.Collection<Long> ids) {
    if (ids.isEmpty()) {
      return List.of();
    }
    return dsl.select(RUN_STEP.ID)
        .from(RUN_STEP)
        .join(RUN)
        .on(RUN.ID.eq(RUN_STEP.RUN_ID))
        .where(RUN_STEP.ID.in(ids))
        .and(RUN.STATUS.eq(RunStatus.CANCELING.name()))
        .fetch(RUN_STEP.ID);
  }

  /**
   * RUNNING attempts whose lease expired before {@code now}; an attempt without a lease (stored
   * before leases existed) counts from its start.
   */
  public List<Expired> expired(Instant now, java.time.Duration expiry) {
    return dsl.select(
            RUN_STEP.ID,
            RUN_STEP.RUN_ID,
            RUN_STEP.NAME,
            RUN_STEP.ATTEMPT,
            RUN_STEP.LEASE_OWNER,
            RUN_STEP.LEASE_UNTIL,
            RUN_STEP.STARTED_AT)
        .from(RUN_STEP)
        .where(RUN_STEP.STATUS.eq(StepStatus.RUNNING.name()))
        .and(
            RUN_STEP
                .LEASE_UNTIL
                .lt(now)
                .or(RUN_STEP.LEASE_UNTIL.isNull().and(RUN_STEP.STARTED_AT.lt(now.minus(expiry)))))
        .orderBy(RUN_STEP.ID)
        .fetch(
            r ->
                new Expired(
                    r.get(RUN_STEP.ID),
                    r.get(RUN_STEP.RUN_ID),
                    r.get(RUN_STEP.NAME),
                    r.get(RUN_STEP.ATTEMPT),
                    r.get(RUN_STEP.LEASE_OWNER),
                    r.get(RUN_STEP.LEASE_UNTIL)));
  }

  /** The lease owner of an attempt (null when it has none). */
  public String leaseOwner(long stepRunId) {
    return dsl.select(RUN_STEP.LEASE_OWNER)
        .from(RUN_STEP)
        .where(RUN_STEP.ID.eq(stepRunId))
        .fetchOptional(RUN_STEP.LEASE_OWNER)
        .orElse(null);
  }
}
