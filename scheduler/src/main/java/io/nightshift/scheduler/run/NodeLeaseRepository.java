package io.nightshift.scheduler.run;

import static io.nightshift.sql.Tables.NODE_LEASE;
import static io.nightshift.sql.Tables.RUN_STEP;

import java.time.Instant;
import java.util.List;
import org.jooq.DSLContext;

/**
 * One row per live node instance (a process), renewed while it lives. A node starting under a name
 * that is already in use reads them to tell a live twin, whose processes it must leave alone, from
 * its own dead past, whose leftovers it kills.
 */
public final class NodeLeaseRepository {
  private final DSLContext dsl;

  /** A node instance: where it runs and until when its lease holds. */
  public record NodeLease(
      String instance, String node, String host, long pid, String pidStartedAt, Instant until) {}

  public NodeLeaseRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** Stores or extends this instance's lease. */
  public void renew(NodeLease lease, Instant now) {
    renew(lease, now, null);
  }

  /** Stores or extends this instance's lease, with when it began to drain (null: it does not). */
  public void renew(NodeLease lease, Instant now, Instant drainingSince) {
    int changed =
        dsl.update(NODE_LEASE)
            .set(NODE_LEASE.LEASE_UNTIL, lease.until())
            .set(NODE_LEASE.DRAINING_SINCE, drainingSince)
            .where(NODE_LEASE.INSTANCE.eq(lease.instance()))
            .execute();
    if (changed == 0) {
      dsl.insertInto(NODE_LEASE)
          .set(NODE_LEASE.INSTANCE, lease.instance())
          .set(NODE_LEASE.NODE, lease.node())
          .set(NODE_LEASE.HOST, lease.host())
          .set(NODE_LEASE.PID, lease.pid())
          .set(NODE_LEASE.PID_STARTED_AT, lease.pidStartedAt())
          .set(NODE_LEASE.STARTED_AT, now)
          .set(NODE_LEASE.LEASE_UNTIL, lease.until())
          .set(NODE_LEASE.DRAINING_SINCE, drainingSince)
          .execute();
    }
  }

  /** Instances whose lease has not expired at {@code now}. */
  public List<NodeLease> live(Instant now) {
    return dsl.selectFrom(NODE_LEASE)
        .where(NODE_LEASE.LEASE_UNTIL.ge(now))
        .fetch(
            r ->
                new NodeLease(
                    r.getInstance(),
                    r.getNode(),
                    r.getHost(),
                    r.getPid(),
                    r.getPidStartedAt(),
                    r.getLeaseUntil()));
  }

  /**
   * A live node instance as operators see it: where it runs, since when, until when its lease
   * holds, since when it drains (null: it takes work), and how many step attempts it holds leases
   * on.
   */
  public record LiveNode(
      String instance,
      String node,
      String host,
      long pid,
      Instant startedAt,
      Instant until,
      Instant drainingSince,
      int runningSteps) {}

  /** The instances live at {@code now}, by node name, with the RUNNING attempts each holds. */
  public List<LiveNode> liveNodes(Instant now) {
    java.util.Map<String, Integer> running =
        dsl.select(RUN_STEP.LEASE_OWNER, org.jooq.impl.DSL.count())
            .from(RUN_STEP)
            .where(RUN_STEP.STATUS.eq(StepStatus.RUNNING.name()))
            .and(RUN_STEP.LEASE_OWNER.isNotNull())
            .groupBy(RUN_STEP.LEASE_OWNER)
            .fetchMap(RUN_STEP.LEASE_OWNER, org.jooq.impl.DSL.count());
    return dsl.selectFrom(NODE_LEASE)
        .where(NODE_LEASE.LEASE_UNTIL.ge(now))
        .orderBy(NODE_LEASE.NODE, NODE_LEASE.STARTED_AT)
        .fetch(
            r ->
                new LiveNode(
                    r.getInstance(),
                    r.getNode(),
                    r.getHost(),
                    r.getPid(),
                    r.getStartedAt(),
                    r.getLeaseUntil(),
                    r.getDrainingSince(),
                    running.getOrDefault(r.getInstance(), 0)));
  }

  /** Drops this instance's lease (a clean stop) and leases long expired. */
  public void release(String instance, Instant expiredBefore) {
    dsl.deleteFrom(NODE_LEASE)
        .where(NODE_LEASE.INSTANCE.eq(instance))
        .or(NODE_LEASE.LEASE_UNTIL.lt(expiredBefore))
        .execute();
  }
}
