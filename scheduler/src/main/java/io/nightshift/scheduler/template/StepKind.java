package io.nightshift.scheduler.template;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** What a step does. */
public enum StepKind {
  COMMAND,
  SCRIPT,
  HTTP,
  NOTIFY,
  APPROVAL;

  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<StepKind> fromJson(String value) {
    return Arrays.stream(values()).filter(k -> k.json().equals(value)).findFirst();
  }

  public static String allowed() {
    return Arrays.stream(values()).map(StepKind::json).collect(Collectors.joining(", "));
  }
}
