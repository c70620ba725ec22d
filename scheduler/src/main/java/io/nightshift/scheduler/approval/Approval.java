package io.nightshift.scheduler.approval;

import java.time.Instant;
import java.util.List;

/**
 * A pending (or decided) approval of one approval step of a run, with the people who asked for the
 * run (none of them may approve it) and the template changes that weakened its approval steps.
 */
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
    String comment,
    Requesters requesters,
    List<String> weakened) {
  public Approval {
    approvers = List.copyOf(approvers);
    weakened = weakened == null ? List.of() : List.copyOf(weakened);
    requesters =
        requesters == null
            ? new Requesters(requestedBy == null ? List.of() : List.of(requestedBy))
            : requesters;
  }
}
