package io.nightshift.scheduler.run;

/**
 * Told about run status changes and approval events once each, on the node that relays them (see
 * {@link EventRelay}), after they are stored. Called on engine threads: must not block for long and
 * must not throw.
 */
public interface RunListener {
  void runChanged(long runId, RunStatus status, String error);

  /**
   * {@code event} is {@code approval.requested}, {@code approval.decided} or {@code
   * approval.expired}.
   */
  void approvalChanged(String event, long runId);
}
