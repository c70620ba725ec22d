package io.nightshift.scheduler.run;

import java.time.Instant;
import java.util.Set;

/**
 * Filters of the run history; null (or an empty set) means "any". {@code statuses}: any of them;
 * {@code since} (inclusive) and {@code until} (exclusive) bound the creation time; {@code before}
 * is a run id cursor.
 */
public record RunFilter(
    String job,
    String template,
    Set<RunStatus> statuses,
    Instant since,
    Instant until,
    Long before,
    int limit) {
  public RunFilter {
    statuses = statuses == null ? Set.of() : Set.copyOf(statuses);
  }
}
