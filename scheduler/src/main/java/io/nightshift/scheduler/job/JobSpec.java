package io.nightshift.scheduler.job;

import java.util.LinkedHashMap;
import java.util.Map;

/** A job as defined by its owner: a template, parameter values, a schedule and policies. */
public record JobSpec(
    String name,
    String template,
    Map<String, String> params,
    Schedule schedule,
    Concurrency concurrency,
    Misfire misfire,
    boolean enabled,
    java.util.List<io.nightshift.scheduler.template.Webhook> webhooks) {
  public JobSpec {
    params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
    webhooks = webhooks == null ? java.util.List.of() : java.util.List.copyOf(webhooks);
  }

  public JobSpec withEnabled(boolean value) {
    return new JobSpec(name, template, params, schedule, concurrency, misfire, value, webhooks);
  }
}
