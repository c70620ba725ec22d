package io.nightshift.scheduler.run;

/**
 * Whether this node starts new runs now (a draining node does not). Asked by {@link RequestedRuns}
 * after a resent request was answered with its run, so a resend reaching a draining node still gets
 * the run its first copy started.
 */
@FunctionalInterface
public interface StartGate {
  /**
   * Returns when this node may start a run; throws an {@link
   * io.nightshift.scheduler.error.Unavailable} naming why when it may not.
   */
  void admit();
}
