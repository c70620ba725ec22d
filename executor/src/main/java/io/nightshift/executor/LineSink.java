package io.nightshift.executor;

import java.time.Instant;

/**
 * Receives the lines of one step. The executors call it one call at a time (never concurrently),
 * with {@code seq} counting from 1 in call order across all streams, so an implementation needs no
 * locking. Text is already cut and masked. No call happens after the step's outcome has completed.
 */
@FunctionalInterface
public interface LineSink {

  /**
   * @param stream {@link LogLine#STDOUT}, {@link LogLine#STDERR} or {@link LogLine#SYSTEM}
   */
  void line(long seq, Instant ts, String stream, String text);
}
