package io.nightshift.scheduler.run;

import io.nightshift.scheduler.approval.Approval;

/**
 * Told about run status changes and approval events on the node where they happen (after they are
 * stored). Called on engine threads: must not block for long and must not throw.
 */
public interface RunListener {
  void runChanged(long runId, RunStatus status, String error);

  /**
   * {@code event} is {@code approval.requested}, {@code approval.decided} or {@code
   * approval.expired}.
   */
  void approvalChanged(String event, Approval approval);
}
