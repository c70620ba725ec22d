package io.nightshift.scheduler.error;

import java.util.List;

/** Input that breaks a rule; every problem names its field (e.g. {@code steps[2].needs}). */
public final class Invalid extends NightshiftException {
  private final List<Problem> problems;

  public Invalid(List<Problem> problems) {
    super("validation_failed", summary(problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("an Invalid needs at least one problem");
    }
    this.problems = List.copyOf(problems);
  }

  public static Invalid of(String field, String message) {
    return new Invalid(List.of(new Problem(field, message)));
  }

  public List<Problem> problems() {
    return problems;
  }

  /**
   * Every problem as one text ({@code a: is required; b: must be ...}), for where the problems go
   * without their details: a warning, a stored reason, a field of an answer. The message itself
   * names the first and points at the details that go with it in an error answer.
   */
  public String everyProblem() {
    return String.join("; ", problems.stream().map(Problem::sentence).toList());
  }

  private static String summary(List<Problem> problems) {
    if (problems.isEmpty()) {
      return "invalid input";
    }
    String first = problems.get(0).sentence();
    return problems.size() == 1
        ? first
        : first + " (and " + (problems.size() - 1) + " more problem(s), see details)";
  }

  /** One broken rule: the field it concerns and a human sentence. */
  public record Problem(String field, String message) {
    public String sentence() {
      return field == null || field.isEmpty() ? message : field + ": " + message;
    }
  }
}
