package io.nightshift.scheduler.run;

/**
 * Whether this node's clock may judge other nodes' leases now. A node whose clock runs ahead of the
 * others' would find their leases expired while their owners still renew them, and fail healthy
 * attempts everywhere as lost: such a node leaves expired leases to the nodes whose clocks agree.
 */
@FunctionalInterface
public interface ClockTrust {
  /** Trusted always (an embedded store: one node, one clock). */
  ClockTrust ALWAYS = () -> null;

  /** Null while this node's clock may judge; else why not, in a sentence. */
  String distrust();
}
