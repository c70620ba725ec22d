package io.nightshift.scheduler.job;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A fire's time against two clocks: this node's, by which Quartz hands fires over, and the
 * cluster's (the database server's on MySQL, the engine's time), in which fires come due and are
 * recorded. A node whose clock is ahead gets its fires early and holds them ({@link FireQueue});
 * one whose clock is behind gets them late.
 */
final class FireClocks {
  private final Clock node;
  private final Clock cluster;

  FireClocks(Clock node, Clock cluster) {
    this.node = node;
    this.cluster = cluster;
  }

  /** The cluster's time now. */
  Instant clusterTime() {
    return cluster.instant();
  }

  /** How long before its time a fire is by the cluster's clock (zero once due). */
  Duration earlyBy(Firing.Due due) {
    Duration early = Duration.between(cluster.instant(), due.scheduledAt());
    return early.isNegative() ? Duration.ZERO : early;
  }

  /**
   * How late a fire is: by this node's clock or by the cluster's, whichever says less. A node whose
   * clock is ahead holds its fires until the cluster's time (late by its own clock by then); one
   * whose clock is behind gets them from Quartz late by the cluster's. Neither is a backlog, which
   * makes a fire late by both.
   */
  Duration lateBy(Firing.Due due) {
    Duration byNode = Duration.between(due.scheduledAt(), node.instant());
    Duration byCluster = Duration.between(due.scheduledAt(), cluster.instant());
    return byNode.compareTo(byCluster) < 0 ? byNode : byCluster;
  }
}
