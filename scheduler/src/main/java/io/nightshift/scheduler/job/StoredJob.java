package io.nightshift.scheduler.job;

import java.time.Instant;

/**
 * A job as stored; {@code revision} grows with every change, so nodes can tell stale copies. {@code
 * scheduleRevision} is the revision whose change last changed its schedule (or created the job), at
 * {@code scheduleChangedAt}.
 */
public record StoredJob(
    long id,
    JobSpec spec,
    int revision,
    int scheduleRevision,
    Instant scheduleChangedAt,
    Instant createdAt,
    Instant updatedAt,
    String pausedBy,
    Instant pausedAt) {
  public String name() {
    return spec.name();
  }
}
