package io.nightshift.scheduler.approval;

/** An approval is decided once: PENDING, then one of the others for good. */
public enum ApprovalStatus {
  PENDING,
  APPROVED,
  DENIED,
  EXPIRED,
  CANCELED
}
