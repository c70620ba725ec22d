package io.nightshift.executor;

import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ordered lines of one step: serializes calls to the sink, numbers them, applies the line cap
 * and the format, and goes silent once closed.
 */
final class Transcript {
  private static final Logger log = LoggerFactory.getLogger(Transcript.class);

  private final LineSink sink;
  private final Clock clock;
  private final LineFormat format;
  private final long maxLines;
  private long seq;
  private long outputLines;
  private long dropped;
  private boolean closed;
  private boolean sinkFailed;

  Transcript(LineSink sink, Clock clock, LineFormat format, long maxLines) {
    this.sink = sink;
    this.clock = clock;
    this.format = format;
    this.maxLines = maxLines;
  }

  int keep() {
    return format.keep();
  }

  /** A line the step wrote: counted against the cap. */
  synchronized void output(String stream, String raw, long overflow) {
    if (closed) {
      return;
    }
    if (outputLines >= maxLines) {
      dropped++;
      return;
    }
    outputLines++;
    deliver(stream, format.render(raw, overflow));
  }

  /** A line Nightshift writes about the step (markers, kills): not counted against the cap. */
  /** {@code text} (an error message) with the step's secrets masked. */
  String mask(String text) {
    return format.mask(text);
  }

  synchronized void system(String text) {
    if (!closed) {
      deliver(LogLine.SYSTEM, format.render(text, 0));
    }
  }

  /** Writes the dropped-lines marker if any were dropped; after this the sink hears nothing. */
  synchronized void close() {
    if (closed) {
      return;
    }
    if (dropped > 0) {
      system("dropped " + dropped + " lines over the limit of " + maxLines + " lines");
    }
    closed = true;
  }

  synchronized long lines() {
    return seq;
  }

  synchronized long dropped() {
    return dropped;
  }

  private void deliver(String stream, String text) {
    seq++;
    try {
      sink.line(seq, clock.instant(), stream, text);
    } catch (RuntimeException e) {
      if (!sinkFailed) {
        sinkFailed = true;
        log.warn("log sink failed at seq {}; later failures of this step are not logged", seq, e);
      }
    }
  }
}
