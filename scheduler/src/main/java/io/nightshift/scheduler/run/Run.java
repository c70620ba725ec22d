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
 *
 * <p>{@code revision} is the run's version as a whole: every change of the run or of one of its
 * attempts moves it on by one, and the engine writes a decision only if the run is still at the
 * revision of the copy it decided on ({@link RunRepository#change}).
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
    List<StepRun> attempts,
    int revision) {
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

  /**
   * This copy after a change of this run committed at {@code newRevision}: {@code changed} attempts
   * replace those of the same id or are added (in stored order: position, attempt).
   */
  Run changed(int newRevision, StepRun... changed) {
    List<StepRun> out = new ArrayList<>(attempts);
    for (StepRun step : changed) {
      out.removeIf(a -> a.id() == step.id());
      out.add(step);
    }
    out.sort(
        java.util.Comparator.comparingInt(StepRun::position).thenComparingInt(StepRun::attempt));
    return with(status, error, finishedAt, out, newRevision);
  }

  /** This copy after its status change committed at {@code newRevision}. */
  Run changed(int newRevision, RunStatus to, String newError, Instant now) {
    return with(
        to,
        newError == null ? error : newError,
        to.terminal() ? now : finishedAt,
        attempts,
        newRevision);
  }

  private Run with(
      RunStatus newStatus,
      String newError,
      Instant newFinishedAt,
      List<StepRun> newAttempts,
      int newRevision) {
    return new Run(
        id,
        template,
        templateVersion,
        job,
        trigger,
        triggeredBy,
        newStatus,
        params,
        retryOf,
        newError,
        createdAt,
        startedAt,
        newFinishedAt,
        newAttempts,
        newRevision);
  }
}
