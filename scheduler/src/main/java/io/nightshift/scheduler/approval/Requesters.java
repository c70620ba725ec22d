package io.nightshift.scheduler.approval;

import io.nightshift.scheduler.auth.Principal;
import java.util.List;
import java.util.Set;

/**
 * The people who asked for a run, for the four-eyes rule: who started it, who started each run it
 * retries, who created or last changed its job, who wrote its template version, and who weakened
 * one of its approval steps. Names are token owners (a person), so two tokens of one person count
 * once. {@code scheduler} and {@code system} are not people and never listed.
 */
public record Requesters(List<String> people) {
  /** Names the audit trail uses for Nightshift itself; no token may take them. */
  public static final Set<String> NOT_PEOPLE = Set.of("scheduler", "system");

  public Requesters {
    people = List.copyOf(people);
  }

  public boolean includes(Principal who) {
    return people.contains(who.owner()) || people.contains(who.name());
  }
}
