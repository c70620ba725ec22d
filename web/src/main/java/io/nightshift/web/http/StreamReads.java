package io.nightshift.web.http;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.logs.LogStore;
import io.nightshift.scheduler.store.Page;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Store reads of the live streams, shared between them. Followers of one run that replay its stored
 * lines ask for the same pages (each page's cursor comes from the one before), and gaps are read in
 * blocks aligned to {@link #PAGE} sequence numbers: one read serves every stream that asks for the
 * same page or block while it is in flight, and the lines' frames are encoded once with it. Full
 * pages and complete blocks (their content no longer changes as lines are added) are kept, least
 * recently used first out, up to {@code maxBytes} of frames. Without this, 200 followers of a busy
 * run read and encoded every line 200 times, and that store work on two cores slowed every API
 * request to seconds.
 *
 * <p>Reads run on the streams' own worker pool, never on the API's. Callbacks of a returned future
 * may run on another stream's event loop: callers hop to their own.
 */
final class StreamReads {
  /** Lines per page and per block. */
  static final int PAGE = 200;

  private record PageKey(long runId, String cursor) {}

  private record BlockKey(long stepRunId, long block) {}

  private record Kept(Future<?> read, long bytes) {}

  private final WorkerExecutor pool;
  private final LogStore store;
  private final LogFrames frames;
  private final long maxBytes;
  private final AtomicLong reads = new AtomicLong();

  // Guarded by this.
  private final Map<Object, Future<?>> inFlight = new HashMap<>();
  private final LinkedHashMap<Object, Kept> kept = new LinkedHashMap<>(64, 0.75f, true);
  private long keptBytes;

  StreamReads(WorkerExecutor pool, LogStore store, LogFrames frames, long maxBytes) {
    this.pool = pool;
    this.store = store;
    this.frames = frames;
    this.maxBytes = maxBytes;
  }

  /** The page of a run's lines after {@code cursor} (null: from the start), every step. */
  Future<Page<FramedLine>> page(long runId, String cursor) {
    return shared(
        new PageKey(runId, cursor),
        () -> {
          Page<LogLine> page = store.page(runId, null, cursor, PAGE);
          return new Page<>(framed(page.items()), page.next());
        },
        page -> page.next() != null,
        page -> bytes(page.items()));
  }

  /**
   * The stored lines of one attempt in block {@code block}: sequence numbers {@code block * PAGE +
   * 1} to {@code (block + 1) * PAGE}, in order; fewer while some are not stored yet.
   */
  Future<List<FramedLine>> block(long stepRunId, long block) {
    return shared(
        new BlockKey(stepRunId, block),
        () -> framed(store.range(stepRunId, block * PAGE, (block + 1) * PAGE + 1)),
        lines -> lines.size() == PAGE,
        StreamReads::bytes);
  }

  /** Store reads done since start (not those served from another stream's read). */
  long reads() {
    return reads.get();
  }

  /** How many frames were encoded since start. */
  long encoded() {
    return frames.encoded();
  }

  /** Blocking work on the streams' pool (not shared). */
  <T> Future<T> blocking(Callable<T> work) {
    return pool.executeBlocking(work, false);
  }

  @SuppressWarnings("unchecked")
  private synchronized <T> Future<T> shared(
      Object key,
      Callable<T> read,
      java.util.function.Predicate<T> complete,
      java.util.function.ToLongFunction<T> size) {
    Kept done = kept.get(key);
    if (done != null) {
      return (Future<T>) done.read();
    }
    Future<?> running = inFlight.get(key);
    if (running != null) {
      return (Future<T>) running;
    }
    reads.incrementAndGet();
    Future<T> future = blocking(read);
    inFlight.put(key, future);
    future.onComplete(
        result -> {
          synchronized (this) {
            inFlight.remove(key);
            if (result.succeeded() && complete.test(result.result())) {
              keep(key, future, size.applyAsLong(result.result()));
            }
          }
        });
    return future;
  }

  private void keep(Object key, Future<?> read, long bytes) {
    Kept old = kept.put(key, new Kept(read, bytes));
    keptBytes += bytes - (old == null ? 0 : old.bytes());
    Iterator<Kept> oldest = kept.values().iterator();
    while (keptBytes > maxBytes && oldest.hasNext()) {
      keptBytes -= oldest.next().bytes();
      oldest.remove();
    }
  }

  private List<FramedLine> framed(List<LogLine> lines) {
    return lines.stream().map(l -> new FramedLine(l, frames.encode(l))).toList();
  }

  private static long bytes(List<FramedLine> lines) {
    long sum = 0;
    for (FramedLine l : lines) {
      sum += l.frame().length();
    }
    return sum;
  }
}
