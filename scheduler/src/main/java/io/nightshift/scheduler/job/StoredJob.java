package io.nightshift.scheduler.job;

import java.time.Instant;

/** A job as stored; {@code revision} grows with every change, so nodes can tell stale copies. */
public record StoredJob(
    long id,
    JobSpec spec,
    int revision,
    Instant createdAt,
    Instant updatedAt,
    String pausedBy,
    Instant pausedAt) {
  public String name() {
    return spec.name();
  }
}
