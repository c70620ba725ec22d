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
  /** The shortest secret value: a shorter one would be masked as often as found in any text. */
  public static final int MIN_SECRET_LENGTH = 4;

  public ParamSpec {
    allowed = allowed == null ? List.of() : List.copyOf(allowed);
  }
}
