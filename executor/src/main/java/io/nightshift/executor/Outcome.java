package io.nightshift.executor;

import java.time.Duration;
import java.util.Objects;

/**
 * How a step ended.
 *
 * @param exitCode the main process's exit code (128 + signal number when a signal ended it), null
 *     when there was no process exit to report (HTTP calls)
 * @param error a human sentence such as "exit code 3", "timed out after 5 s", "canceled"; null on
 *     success
 * @param lines how many lines the sink received, all streams together (the last seq)
 * @param dropped how many stdout and stderr lines were dropped over the line cap
 */
public record Outcome(
    Status status, Integer exitCode, String error, Duration duration, long lines, long dropped) {

  public enum Status {
    SUCCEEDED,
    FAILED,
    TIMED_OUT,
    CANCELED
  }

  public Outcome {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(duration, "duration");
    if (lines < 0 || dropped < 0) {
      throw new IllegalArgumentException("line counts must be >= 0");
    }
    if ((status == Status.SUCCEEDED) != (error == null)) {
      throw new IllegalArgumentException("an error sentence goes with every status but SUCCEEDED");
    }
  }

  public boolean succeeded() {
    return status == Status.SUCCEEDED;
  }
}
