package io.nightshift.scheduler.run;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How the engine runs steps: this node's name, where run work directories go, the timeout of a step
 * that sets none, output caps, how long a killed process gets before SIGKILL, where ends that wait
 * for the database are kept ({@code endsDir}, see {@link StepEndJournal}), and the pauses between
 * the tries of a write that failed for a reason that may pass ({@code writeRetryPauses}: one more
 * try than pauses).
 */
public record EngineSettings(
    String node,
    Path workRoot,
    Duration defaultTimeout,
    long maxLinesPerStep,
    int maxLineLength,
    Duration killGrace,
    Path endsDir,
    List<Duration> writeRetryPauses) {

  /** 50 ms, 200 ms, 500 ms, 1 s: five tries over 1.75 s. */
  public static final List<Duration> WRITE_RETRY_PAUSES =
      List.of(
          Duration.ofMillis(50),
          Duration.ofMillis(200),
          Duration.ofMillis(500),
          Duration.ofSeconds(1));

  public EngineSettings {
    if (defaultTimeout.isNegative() || defaultTimeout.isZero()) {
      throw new IllegalArgumentException("defaultTimeout must be positive");
    }
    writeRetryPauses = List.copyOf(writeRetryPauses);
  }

  /** These settings with other pauses between the tries of a failed write (as many tries). */
  public EngineSettings withWriteRetryPauses(List<Duration> pauses) {
    return new EngineSettings(
        node, workRoot, defaultTimeout, maxLinesPerStep, maxLineLength, killGrace, endsDir, pauses);
  }

  public static EngineSettings defaults(String node, Path workRoot) {
    return new EngineSettings(
        node,
        workRoot,
        Duration.ofHours(1),
        1_000_000,
        16_384,
        Duration.ofSeconds(5),
        workRoot.resolve("step-ends"),
        WRITE_RETRY_PAUSES);
  }
}
