package io.nightshift.scheduler.run;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How the engine runs steps: this node's name, where run work directories go, the timeout of a step
 * that sets none, output caps, how long a killed process gets before SIGKILL, where ends that wait
 * for the database are kept ({@code endsDir}, see {@link StepEndJournal}), how long an end's write
 * may take before the end is kept there too ({@code keepEndAfter}: a connection attempt to a
 * database that went away waits for the pool's timeout first), and the pauses between the tries of
 * a write that failed for a reason that may pass ({@code writeRetryPauses}: one more try than
 * pauses).
 */
public record EngineSettings(
    String node,
    Path workRoot,
    Duration defaultTimeout,
    long maxLinesPerStep,
    int maxLineLength,
    Duration killGrace,
    Path endsDir,
    Duration keepEndAfter,
    List<Duration> writeRetryPauses) {

  /** An end whose write has not completed in 1 s is kept on disk too. */
  public static final Duration KEEP_END_AFTER = Duration.ofSeconds(1);

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
        node,
        workRoot,
        defaultTimeout,
        maxLinesPerStep,
        maxLineLength,
        killGrace,
        endsDir,
        keepEndAfter,
        pauses);
  }

  /** These settings with ends kept on disk once their write has taken {@code after}. */
  public EngineSettings withKeepEndAfter(Duration after) {
    return new EngineSettings(
        node,
        workRoot,
        defaultTimeout,
        maxLinesPerStep,
        maxLineLength,
        killGrace,
        endsDir,
        after,
        writeRetryPauses);
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
        KEEP_END_AFTER,
        WRITE_RETRY_PAUSES);
  }
}
