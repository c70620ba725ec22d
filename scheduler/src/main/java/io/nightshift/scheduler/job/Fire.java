package io.nightshift.scheduler.job;

import java.time.Instant;

/** One entry of the cron log: a scheduled time and what became of it. */
public record Fire(
    long id,
    String job,
    Instant scheduledAt,
    Instant firedAt,
    long lagMs,
    FireOutcome outcome,
    String reason,
    Long runId,
    String node) {}
