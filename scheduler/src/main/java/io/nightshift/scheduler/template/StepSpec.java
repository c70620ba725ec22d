package io.nightshift.scheduler.template;

import java.util.List;

/**
 * One step of a template. {@code needs} is already resolved: the parser turns an omitted list into
 * "the previous step". {@code description}: what the step is for, for people (null when none).
 */
public record StepSpec(
    String name,
    StepAction action,
    List<String> needs,
    Integer timeoutSeconds,
    int retries,
    int retryBackoffSeconds,
    boolean ignoreFailure,
    String undo,
    String description) {
  public StepSpec {
    needs = List.copyOf(needs);
  }

  public StepKind kind() {
    return action.kind();
  }
}
