package io.nightshift.scheduler.job;

import io.nightshift.scheduler.job.Firing.Due;
import io.nightshift.scheduler.job.Firing.Result;
import io.nightshift.scheduler.run.CreatedRuns;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What follows a committed claim of {@link Firing} (never before: a batch that rolled back and is
 * claimed again fire by fire would count and say it twice): its metrics, what is worth a log line,
 * and the run it created handed to the engine.
 */
final class AfterClaim {
  private static final Logger log = LoggerFactory.getLogger(Firing.class);

  private final FireMetrics metrics;
  private final CreatedRuns engine;

  AfterClaim(FireMetrics metrics, CreatedRuns engine) {
    this.metrics = metrics;
    this.engine = engine;
  }

  /** What follows a committed claim: its metrics, and the run handed to the engine. */
  void claimed(Due due, Instant firedAt, Result result) {
    if (!result.claimed()) {
      if (result.duplicated()) {
        metrics.duplicate();
      } else if (FireClaim.SCHEDULE_CHANGED.equals(result.reason())) {
        log.info(
            "job {} fire at {} not started: the job's schedule changed before it came due and"
                + " does not hold that time",
            due.named(),
            due.scheduledAt());
      }
      return;
    }
    if (result.outcome() == FireOutcome.MISFIRED) {
      metrics.count(FireOutcome.MISFIRED);
      if (due.job() != null) {
        metrics.missed(due.job(), 1);
      }
      return;
    }
    metrics.claimed(result.outcome(), Duration.between(due.scheduledAt(), firedAt));
    if (result.outcome() == FireOutcome.FAILED_TO_START) {
      // Once it is committed: a batch that rolled back and is claimed again fire by fire would
      // say it twice.
      log.warn(
          "job {} fire at {} failed to start: {}", due.named(), due.scheduledAt(), result.reason());
      if (due.job() != null) {
        metrics.failedToStart(due.job(), 1);
      }
    }
    if (result.outcome() == FireOutcome.STARTED) {
      engine.startCreated(result.runId());
    } else if (result.outcome() == FireOutcome.QUEUED) {
      engine.queued(result.runId());
    }
  }
}
