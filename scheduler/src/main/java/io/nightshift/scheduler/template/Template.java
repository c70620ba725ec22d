package io.nightshift.scheduler.template;

import java.util.List;
import java.util.Optional;

/** A runbook: parameters and steps with dependencies. Immutable; an edit makes a new version. */
public record Template(
    String name,
    String description,
    List<ParamSpec> params,
    OnFailure onFailure,
    List<StepSpec> steps) {
  public Template {
    params = List.copyOf(params);
    steps = List.copyOf(steps);
  }

  public Optional<StepSpec> step(String stepName) {
    return steps.stream().filter(s -> s.name().equals(stepName)).findFirst();
  }

  public Optional<ParamSpec> param(String paramName) {
    return params.stream().filter(p -> p.name().equals(paramName)).findFirst();
  }
}
