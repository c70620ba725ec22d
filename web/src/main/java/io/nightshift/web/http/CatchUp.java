package io.nightshift.web.http;

import io.nightshift.scheduler.logs.LogCursor;
import io.nightshift.scheduler.logs.LogTailStore;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.StepRun;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one {@link LogStream} reads from the store rather than from the live bus: where a resuming
 * client left off, the run's stored pages before live lines are let through, the stored lines of a
 * gap between what was sent and a live line, and at the run's end every attempt's lines up to its
 * recorded count. Reads go through the streams' shared {@link StreamReads}; each result is handed
 * to the stream's event loop, and a page or block is read only once the one before has been written
 * to the client ({@link Sink#whenFlushed}).
 */
final class CatchUp {
  /** How long a gap waits for lines still in flight to the store. */
  static final long GAP_WAIT_MS = 30_000;

  /**
   * How long a stream that just opened waits for lines of attempts that ended before it did and
   * that the store did not have at its replay (their ends wait for them).
   */
  static final long OWED_LINES_WAIT_MS = 2_000;

  /** The stream the stored lines go to. Called on its event loop. */
  interface Sink {
    /** Sends a line unless it was sent already. */
    void send(FramedLine line);

    /** Runs {@code next} once what was sent so far has been written to the client. */
    void whenFlushed(Runnable next);

    /** The seq of the last line of an attempt sent (or held by the client), 0 for none. */
    long lastSent(long stepRunId);

    /** True once the stream has ended: what is read then is dropped. */
    boolean ended();
  }

  private final Vertx vertx;
  private final Context context;
  private final long runId;
  private final LogTailStore tail;
  private final StreamReads reads;
  private final LogCursor resume;
  private final Sink sink;

  CatchUp(
      Vertx vertx,
      Context context,
      long runId,
      LogRoutes.Sources sources,
      LogCursor resume,
      Sink sink) {
    this.vertx = vertx;
    this.context = context;
    this.runId = runId;
    this.tail = new LogTailStore(sources.store());
    this.reads = sources.reads();
    this.resume = resume;
    this.sink = sink;
  }

  /**
   * What a client that resumes after a cursor already holds: per attempt of the run, the last seq
   * at or before the cursor. Counted as sent, so that neither a gap nor the end of the run makes
   * the stream read those lines again (a client resuming at the end of a 200,000-line step waited
   * for all of them to be read back and dropped). Blocking: runs on a reader thread.
   */
  Map<Long, Long> held(Run run) {
    Map<Long, Long> held = new HashMap<>();
    if (resume != null) {
      run.attempts().forEach(a -> held.put(a.id(), tail.lastSeqUpTo(a.id(), resume)));
    }
    return held;
  }

  /**
   * Sends the run's stored lines page by page from the resume cursor (or the start); done once the
   * last page has been sent.
   */
  Future<Void> replay() {
    Promise<Void> done = Promise.promise();
    replay(resume == null ? null : resume.encode(), done);
    return done.future();
  }

  private void replay(String cursor, Promise<Void> done) {
    onContext(reads.page(runId, cursor))
        .onFailure(done::fail)
        .onSuccess(
            page -> {
              page.items().forEach(sink::send);
              if (page.next() != null) {
                sink.whenFlushed(() -> replay(page.next(), done));
              } else {
                done.complete();
              }
            });
  }

  /** Sends stored lines {@code after < seq < before} of one attempt, waiting for stragglers. */
  Future<Void> fill(long stepRunId, long after, long before) {
    return fill(stepRunId, after, before, GAP_WAIT_MS);
  }

  private Future<Void> fill(long stepRunId, long after, long before, long waitMs) {
    Promise<Void> done = Promise.promise();
    fill(stepRunId, after, before, System.currentTimeMillis() + waitMs, 20, done);
    return done.future();
  }

  /** Sends every attempt's stored lines after the last one sent, up to its recorded count. */
  Future<Void> upToCounts(List<StepRun> attempts) {
    return upToCounts(attempts, GAP_WAIT_MS);
  }

  /**
   * As {@link #upToCounts(List)}, waiting at most {@code waitMs} for each attempt's missing lines.
   */
  Future<Void> upToCounts(List<StepRun> attempts, long waitMs) {
    Promise<Void> done = Promise.promise();
    upToCounts(attempts, 0, waitMs, done);
    return done.future();
  }

  private void upToCounts(List<StepRun> attempts, int index, long waitMs, Promise<Void> done) {
    if (index >= attempts.size()) {
      done.complete();
      return;
    }
    StepRun attempt = attempts.get(index);
    long last = sink.lastSent(attempt.id());
    if (attempt.lineCount() <= last) {
      upToCounts(attempts, index + 1, waitMs, done);
      return;
    }
    fill(attempt.id(), last, attempt.lineCount() + 1, waitMs)
        .onFailure(done::fail)
        .onSuccess(v -> upToCounts(attempts, index + 1, waitMs, done));
  }

  /**
   * The gap's part in one block of {@link StreamReads#PAGE} lines (blocks are shared with other
   * streams); while lines of it are missing, reads again on a timer that backs off (no thread
   * waits). The next block is read once this one has been written to the client.
   */
  private void fill(
      long stepRunId, long after, long before, long deadline, long wait, Promise<Void> done) {
    long block = after / StreamReads.PAGE;
    long upTo = Math.min(before, (block + 1) * StreamReads.PAGE + 1);
    onContext(reads.block(stepRunId, block))
        .onFailure(done::fail)
        .onSuccess(
            inBlock -> {
              if (sink.ended()) {
                done.tryComplete();
                return;
              }
              List<FramedLine> lines =
                  inBlock.stream()
                      .filter(l -> l.line().seq() > after && l.line().seq() < upTo)
                      .toList();
              if (lines.size() < upTo - after - 1 && System.currentTimeMillis() < deadline) {
                vertx.setTimer(
                    wait,
                    id -> fill(stepRunId, after, before, deadline, Math.min(wait * 2, 1000), done));
                return;
              }
              lines.forEach(sink::send);
              if (upTo >= before) {
                done.complete();
              } else {
                sink.whenFlushed(
                    () ->
                        fill(
                            stepRunId,
                            upTo - 1,
                            before,
                            System.currentTimeMillis() + GAP_WAIT_MS,
                            20,
                            done));
              }
            });
  }

  /**
   * A shared read's result, handed to the stream's event loop (another stream may have read it).
   */
  private <T> Future<T> onContext(Future<T> shared) {
    Promise<T> here = Promise.promise();
    shared.onComplete(result -> context.runOnContext(v -> here.handle(result)));
    return here.future();
  }
}
