package io.nightshift.scheduler.template;

import java.util.List;
import java.util.Optional;

/** A runbook: parameters and steps with dependencies. Immutable; an edit makes a new version. */
public record Template(
    String name,
    String description,
    List<ParamSpec> params,
    OnFailure onFailure,
    List<StepSpec> steps,
    List<Webhook> webhooks) {
  public Template {
    params = List.copyOf(params);
    steps = List.copyOf(steps);
    webhooks = webhooks == null ? List.of() : List.copyOf(webhooks);
  }

  public Optional<StepSpec> step(String stepName) {
    return steps.stream().filter(s -> s.name().equals(stepName)).findFirst();
  }

  public Optional<ParamSpec> param(String paramName) {
    return params.stream().filter(p -> p.name().equals(paramName)).findFirst();
  }
}
