package io.nightshift.web.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes one live log stream holds in memory (in flight to its event loop, held, and queued
 * frames), counted against its own budget and all streams' ({@link OpenStreams}). Thread-safe: the
 * log bus adds from its own thread, the event loop releases.
 */
final class StreamMemory implements SseWriter.Memory {
  /** What becomes of an item that arrives from the bus. */
  enum Verdict {
    /** Within budget: hand it to the event loop. */
    KEEP,
    /** A line over budget: skip it (the store has it; the gap is filled from there). */
    SKIP,
    /** An event past twice the budget: the client reads too slowly and is dropped. */
    OVERFLOW
  }

  private final OpenStreams streams;
  private final AtomicLong holding = new AtomicLong();
  private volatile boolean overflowed;

  StreamMemory(OpenStreams streams) {
    this.streams = streams;
  }

  /**
   * Counts an arriving item of {@code size} bytes. A line that would take this stream (or all
   * streams) over budget is skipped; events are small and always kept, up to twice the budget; past
   * that the stream has overflowed. What is not kept is released at once.
   */
  Verdict admit(boolean line, long size) {
    long mine = holding.addAndGet(size);
    boolean fits = streams.hold(mine, size);
    if (fits) {
      return Verdict.KEEP;
    }
    if (line) {
      release(size);
      return Verdict.SKIP;
    }
    if (mine > 2 * streams.clientBytes()) {
      overflowed = true;
      release(size);
      return Verdict.OVERFLOW;
    }
    return Verdict.KEEP;
  }

  /** True once an event did not fit: nothing more is admitted. */
  boolean overflowed() {
    return overflowed;
  }

  @Override
  public void hold(long size) {
    streams.hold(holding.addAndGet(size), size);
  }

  @Override
  public void release(long size) {
    holding.addAndGet(-size);
    streams.release(size);
  }
}
