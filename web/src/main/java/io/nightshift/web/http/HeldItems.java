package io.nightshift.web.http;

import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * What a {@link LogStream} holds before it sends it, in order: live lines and events that arrived
 * while it was busy (replaying, filling a gap, or waiting for a full connection), and the lines of
 * attempts whose start it has not told yet ({@link UntoldStarts}). Each is counted in the stream's
 * {@link StreamMemory} until it is taken or dropped. Touched only on the stream's event loop.
 */
final class HeldItems {
  private record Held(Object item, long size) {}

  private final ArrayDeque<Held> held = new ArrayDeque<>();
  private final StreamMemory memory;
  private final UntoldStarts<Held> untold;

  /** {@code waitOver}: lines whose wait for their start ran out were put back first. */
  HeldItems(Vertx vertx, StreamMemory memory, Runnable waitOver) {
    this.memory = memory;
    this.untold =
        new UntoldStarts<>(
            vertx,
            lines -> {
              putFirst(lines);
              waitOver.run();
            });
  }

  void add(Object item, long size) {
    held.add(new Held(item, size));
  }

  boolean isEmpty() {
    return held.isEmpty();
  }

  /**
   * The next item to send, or null when none is: a line of an attempt whose start has not been
   * {@code told} yet stays held (see {@link UntoldStarts}).
   */
  Object next(LongPredicate told) {
    while (!held.isEmpty()) {
      Held next = held.poll();
      if (next.item() instanceof FramedLine f) {
        long attempt = f.line().stepRunId();
        if (untold.holds(attempt, told.test(attempt), next)) {
          continue;
        }
      }
      memory.release(next.size());
      return next.item();
    }
    return null;
  }

  /** A step event of attempt {@code stepRunId} went out: its held lines come next. */
  void told(long stepRunId) {
    putFirst(untold.release(stepRunId));
  }

  /** Drops everything held (the stream ended). */
  void clear() {
    held.forEach(h -> memory.release(h.size()));
    held.clear();
    untold.clear().forEach(h -> memory.release(h.size()));
  }

  private void putFirst(List<Held> lines) {
    for (int i = lines.size() - 1; i >= 0; i--) {
      held.addFirst(lines.get(i));
    }
  }
}
