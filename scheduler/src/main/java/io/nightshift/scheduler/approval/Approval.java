package io.nightshift.scheduler.approval;

import java.time.Instant;
import java.util.List;

/** A pending (or decided) approval of one approval step of a run. */
public record Approval(
    long id,
    long runId,
    long stepRunId,
    String step,
    ApprovalStatus status,
    List<String> approvers,
    String message,
    String onTimeout,
    String requestedBy,
    Instant requestedAt,
    Instant expiresAt,
    String decidedBy,
    Instant decidedAt,
    String comment) {
  public Approval {
    approvers = List.copyOf(approvers);
  }
}
