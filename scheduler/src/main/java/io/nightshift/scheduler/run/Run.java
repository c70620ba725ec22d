package io.nightshift.scheduler.run;

import io.nightshift.scheduler.template.Template;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A run as stored: the template snapshot it started with, its resolved parameters (secret values
 * included: mask them with {@link Params#masked} before showing), and every attempt of every step.
 */
public record Run(
    long id,
    Template template,
    int templateVersion,
    String job,
    Trigger trigger,
    String triggeredBy,
    RunStatus status,
    Map<String, String> params,
    Long retryOf,
    String error,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    List<StepRun> attempts) {
  public Run {
    params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
    attempts = List.copyOf(attempts);
  }

  /** The latest attempt of each step, in template order. */
  public List<StepRun> steps() {
    Map<String, StepRun> latest = latestByName();
    List<StepRun> out = new ArrayList<>();
    template.steps().forEach(s -> Optional.ofNullable(latest.get(s.name())).ifPresent(out::add));
    return out;
  }

  public Map<String, StepRun> latestByName() {
    Map<String, StepRun> latest = new LinkedHashMap<>();
    for (StepRun a : attempts) {
      StepRun current = latest.get(a.name());
      if (current == null || current.attempt() < a.attempt()) {
        latest.put(a.name(), a);
      }
    }
    return latest;
  }

  public Optional<StepRun> attempt(long stepRunId) {
    return attempts.stream().filter(a -> a.id() == stepRunId).findFirst();
  }
}
