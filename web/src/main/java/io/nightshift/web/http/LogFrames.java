package io.nightshift.web.http;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.logs.LogCursor;
import io.vertx.core.buffer.Buffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Server-Sent Events frame of a log line ({@code id}, {@code event: log}, {@code data}),
 * encoded once however many streams send it. The log bus hands one line to every follower in turn,
 * so the frame of the line seen last is kept and given to the next follower asking for the same
 * line. A {@link Buffer} may be written to many connections: each write reads its own slice.
 */
final class LogFrames {
  private record Encoded(LogLine line, Buffer frame) {}

  private final AtomicLong encoded = new AtomicLong();
  private volatile Encoded last;

  /** The frame of a line the bus is handing to its followers (any thread). */
  Buffer live(LogLine line) {
    Encoded seen = last;
    if (seen != null && seen.line() == line) {
      return seen.frame();
    }
    Buffer frame = encode(line);
    last = new Encoded(line, frame);
    return frame;
  }

  /** Encodes a line's frame (a stored line, read once for every stream that needs it). */
  Buffer encode(LogLine line) {
    encoded.incrementAndGet();
    return Buffer.buffer(
        "id: " + LogCursor.of(line) + "\nevent: log\ndata: " + line.toJson().encode() + "\n\n");
  }

  /** How many frames were encoded since start. */
  long encoded() {
    return encoded.get();
  }
}
