package io.nightshift.scheduler.template;

import java.util.List;

/**
 * A declared parameter. Values reach commands as environment variables; {@code secret} values are
 * masked in every answer, log line and audit record.
 */
public record ParamSpec(
    String name,
    String description,
    boolean required,
    boolean secret,
    String defaultValue,
    List<String> allowed,
    String pattern) {
  public ParamSpec {
    allowed = allowed == null ? List.of() : List.copyOf(allowed);
  }
}
