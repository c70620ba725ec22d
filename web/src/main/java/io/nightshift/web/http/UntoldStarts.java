package io.nightshift.web.http;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Live lines of attempts whose start a stream has not told yet, held back until a step event of
 * theirs goes out, for {@link #waitMs} at most: lines travel the log channel and step events the
 * event channel, so a step's first lines can outrun the events saying that the step before it ended
 * and this one started. Held so, a follower sees {@code -- step build SUCCEEDED}, {@code -- step
 * deploy RUNNING}, then deploy's lines. An attempt is waited for once: after that its lines go as
 * they come (an event channel that lost its events delays each attempt's first lines once). Touched
 * only on the stream's event loop.
 *
 * @param <T> a held line, as the stream keeps it
 */
final class UntoldStarts<T> {
  /** 1 s; the system property {@code nightshift.untoldStartWaitMs}, read per stream, for tests. */
  static long waitMs() {
    return Long.getLong("nightshift.untoldStartWaitMs", 1_000);
  }

  private final Vertx vertx;
  private final Consumer<List<T>> waitOver;
  private final Map<Long, List<T>> waiting = new HashMap<>();
  private final Map<Long, Long> timers = new HashMap<>();
  private final Set<Long> waited = new HashSet<>();
  private final long waitMs = waitMs();

  /** {@code waitOver}: gets an attempt's held lines, in order, when its wait ran out. */
  UntoldStarts(Vertx vertx, Consumer<List<T>> waitOver) {
    this.vertx = vertx;
    this.waitOver = waitOver;
  }

  /**
   * Whether {@code line}, of attempt {@code stepRunId}, is held (the stream has not {@code told} a
   * status of that attempt, and has not waited for it before).
   */
  boolean holds(long stepRunId, boolean told, T line) {
    if (told || waited.contains(stepRunId)) {
      return false;
    }
    waiting
        .computeIfAbsent(
            stepRunId,
            id -> {
              timers.put(
                  id,
                  vertx.setTimer(
                      waitMs,
                      timer -> {
                        timers.remove(id);
                        List<T> over = release(id);
                        if (!over.isEmpty()) {
                          waitOver.accept(over);
                        }
                      }));
              return new ArrayList<>();
            })
        .add(line);
    return true;
  }

  /**
   * The lines held of attempt {@code stepRunId}, in order: its start was told (or its wait ran
   * out); none of its lines is held after this.
   */
  List<T> release(long stepRunId) {
    waited.add(stepRunId);
    Long timer = timers.remove(stepRunId);
    if (timer != null) {
      vertx.cancelTimer(timer);
    }
    List<T> lines = waiting.remove(stepRunId);
    return lines == null ? List.of() : lines;
  }

  /** Every line held; none is after this (the stream ended). */
  List<T> clear() {
    timers.values().forEach(vertx::cancelTimer);
    timers.clear();
    List<T> all = new ArrayList<>();
    waiting.values().forEach(all::addAll);
    waiting.clear();
    return all;
  }
}
