package io.nightshift.scheduler.run;

import java.time.Instant;
import java.util.List;

/**
 * A run's template and job names, its start and end, and each step attempt's: what the metrics of
 * an ended run observe. Times are null where a run or attempt never started or has not ended.
 */
public record RunTimings(
    String template, String job, Instant startedAt, Instant finishedAt, List<Attempt> attempts) {

  /** One step attempt (undo steps included), in the order of the run's steps. */
  public record Attempt(String step, Instant startedAt, Instant finishedAt) {}
}
