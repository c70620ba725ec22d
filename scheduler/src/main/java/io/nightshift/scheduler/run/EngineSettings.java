package io.nightshift.scheduler.run;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How the engine runs steps: this node's name, where run work directories go, the timeout of a step
 * that sets none, output caps, how long a killed process gets before SIGKILL, and where ends that
 * wait for the database are kept ({@code endsDir}, see {@link StepEndJournal}).
 */
public record EngineSettings(
    String node,
    Path workRoot,
    Duration defaultTimeout,
    long maxLinesPerStep,
    int maxLineLength,
    Duration killGrace,
    Path endsDir) {
  public EngineSettings {
    if (defaultTimeout.isNegative() || defaultTimeout.isZero()) {
      throw new IllegalArgumentException("defaultTimeout must be positive");
    }
  }

  public static EngineSettings defaults(String node, Path workRoot) {
    return new EngineSettings(
        node,
        workRoot,
        Duration.ofHours(1),
        1_000_000,
        16_384,
        Duration.ofSeconds(5),
        workRoot.resolve("step-ends"));
  }
}
