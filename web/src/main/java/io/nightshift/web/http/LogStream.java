package io.nightshift.web.http;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.logs.Follow;
import io.nightshift.scheduler.logs.LogBus;
import io.nightshift.scheduler.logs.LogCursor;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.run.StepStatus;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.HashMap;
import java.util.Map;

/**
 * One follower of a run's output over Server-Sent Events. It subscribes to live lines first and
 * holds them, replays what is stored, then lets the held lines through: a line is sent once, in
 * order per step, and a gap between what was stored and what arrives live is filled from the store.
 * When the run ends, every attempt's lines up to its recorded count, and its status if not told
 * yet, go before the {@code end} event. Store reads are its {@link CatchUp}'s.
 *
 * <p>Back-pressure ({@link SseWriter}): while the connection is full, live lines are held up to
 * this client's share of memory ({@link StreamMemory}, {@link OpenStreams}), then skipped (they are
 * in the store; the gap is filled page by page once the client reads again). Each {@code log} event
 * carries its cursor as the SSE {@code id} ({@code Last-Event-ID} or {@code ?after=} resumes after
 * it). A client whose events pile up past twice its share gets {@code dropped}, a revoked token's
 * {@code revoked}, a stopping node's {@code closing}. It tells where each attempt stood when it
 * opened ({@link StandingMarks}). Everything but store reads runs on the request's event loop;
 * store reads run on the streams' own workers, shared between streams ({@link StreamReads}, {@link
 * LogFrames}): followers of one run read each page once and encode each frame once.
 */
final class LogStream implements CatchUp.Sink {
  private static final long CLOSE_GRACE_MS = 10_000;
  private static final long LINE_OVERHEAD = 160;

  private final Vertx vertx;
  private final Context context;
  private final RoutingContext ctx;
  private final HttpServerResponse response;
  private final long runId;
  private final RunRepository runs;
  private final LogBus bus;
  private final StreamReads reads;
  private final LogFrames frames;
  private final OpenStreams streams;
  private final String token;
  private final LogCursor resume;
  private final CatchUp catchUp;
  private final SseWriter writer;

  /** Bytes this stream holds in memory: in flight to its event loop, held, and queued frames. */
  private final StreamMemory memory;

  private volatile boolean ended;

  // Touched only on the event loop.
  private final Map<Long, Long> sent = new HashMap<>();
  private final HeldItems held;
  private boolean busy = true;
  private boolean awaitingSteps;
  private long stepsDeadline = -1;
  private Follow follow;
  private long keepalive = -1;
  private StandingMarks marks = StandingMarks.none();

  LogStream(
      Vertx vertx,
      RoutingContext ctx,
      long runId,
      LogRoutes.Sources sources,
      String token,
      LogCursor resume) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.ctx = ctx;
    this.response = ctx.response();
    this.runId = runId;
    this.runs = sources.runs();
    this.bus = sources.bus();
    this.reads = sources.reads();
    this.frames = sources.frames();
    this.streams = sources.streams();
    this.token = token;
    this.resume = resume;
    this.memory = new StreamMemory(streams);
    this.held = new HeldItems(vertx, memory, this::drain); // drain() does nothing while busy
    this.catchUp = new CatchUp(vertx, context, runId, sources, resume, this);
    this.writer = new SseWriter(context, response, memory, () -> ended);
  }

  void start() {
    streams.open(token, this);
    ctx.request()
        .connection()
        .shutdownHandler(v -> endNow("closing", "this node is stopping; reconnect to follow on"));
    follow =
        bus.follow(
            runId,
            line -> {
              Buffer frame = frames.live(line);
              incoming(new FramedLine(line, frame), frame.length() + LINE_OVERHEAD);
            },
            event -> incoming(event, event.encode().length()));
    reads
        .blocking(
            () -> {
              Run run = runs.get(runId);
              return Map.entry(run, catchUp.held(run));
            })
        .onFailure(
            e -> {
              stop();
              ctx.fail(e);
            })
        .onSuccess(
            found -> {
              Run run = found.getKey();
              if (ended) {
                return;
              }
              found.getValue().forEach(sent::put);
              marks = StandingMarks.of(run, found.getValue());
              writer.head(this::stop);
              writer.enqueue(Buffer.buffer(": following run " + runId + "\n\n"), null);
              keepalive = vertx.setPeriodic(SseWriter.keepaliveMs(), id -> keepalive());
              catchUp.replay().onFailure(this::abort).onSuccess(v -> afterReplay(run));
            });
  }

  /** After the replay: the marks owed; a run still going, lines the store lacked (read briefly). */
  private void afterReplay(Run run) {
    marks.afterReplay().forEach(e -> writeEvent("step", e));
    if (run.status().terminal()) {
      finish(); // every attempt's lines up to its count, then the marks still owed
    } else {
      catchUp
          .upToCounts(run.attempts(), CatchUp.OWED_LINES_WAIT_MS)
          .onFailure(this::abort)
          .onSuccess(
              v -> {
                marks.rest().forEach(e -> writeEvent("step", e)); // ends whose lines never came
                busy = false;
                drain();
              });
    }
  }

  /** Keeps the connection open; ends the stream if the store says the run ended (event lost). */
  private void keepalive() {
    writer.keepalive();
    if (busy || ended || !held.isEmpty()) {
      return; // a Redis outage can lose the end event of a run that ended meanwhile
    }
    reads
        .blocking(() -> runs.header(runId).map(Run::status).orElse(null))
        .onSuccess(
            status -> {
              if (status != null && status.terminal() && !busy && !ended && held.isEmpty()) {
                busy = true;
                finish();
              }
            });
  }

  /**
   * Called by the log bus on its own thread: counts the item ({@link StreamMemory#admit}), then
   * hands it to the event loop. A skipped line is in the store: the gap it leaves is filled from
   * there when the client reads again. An event past the budget drops the client.
   */
  private void incoming(Object item, long size) {
    if (ended || memory.overflowed()) {
      return;
    }
    switch (memory.admit(item instanceof FramedLine, size)) {
      case KEEP -> context.runOnContext(v -> arrive(item, size));
      case OVERFLOW ->
          context.runOnContext(
              v ->
                  terminate(
                      "dropped",
                      "the client reads slower than the run changes; reconnect with after= to"
                          + " resume"));
      case SKIP -> {}
    }
  }

  private void arrive(Object item, long size) {
    if (ended) {
      memory.release(size);
    } else {
      held.add(item, size);
      drain(); // nothing while busy
    }
  }

  /** Sends held items in order until one needs the store (a gap, or the run's end). */
  private void drain() {
    while (!busy && !ended && !held.isEmpty()) {
      writer.writeIfBatchFull();
      // After a pump, frames are left only when the connection is full: waiting for it to drain
      // returns here from its handler, not from within this loop (no recursion per held line).
      if (writer.full()) {
        busy = true;
        whenFlushed(
            () -> {
              busy = false;
              drain();
            });
        return;
      }
      Object next = held.next(marks::told);
      if (next == null) {
        return; // lines waiting for their start to be told
      }
      if (next instanceof FramedLine framed) {
        LogLine line = framed.line();
        long last = lastSent(line.stepRunId());
        if (line.seq() <= last) {
          continue;
        }
        if (line.seq() > last + 1) {
          busy = true;
          catchUp
              .fill(line.stepRunId(), last, line.seq())
              .onFailure(this::abort)
              .onSuccess(
                  v -> {
                    send(framed);
                    busy = false;
                    drain();
                  });
          return;
        }
        send(framed);
      } else if (next instanceof JsonObject event) {
        String type = event.getString("type", "event");
        boolean step = "step".equals(type);
        if (step) {
          held.told(event.getLong("stepRunId"));
        }
        if (!step || !marks.stale(event)) { // a status told already (standing) goes out once
          writeEvent(type, event);
        }
        if (("run".equals(type) && RunStatus.terminal(event.getString("status")))
            || (awaitingSteps && step)) {
          busy = true;
          finish();
          return;
        }
      }
    }
  }

  /**
   * Every attempt's stored lines up to its recorded count, then {@code end}. A step still being
   * killed (cancel) has its count once it ended: until then (at most {@link CatchUp#GAP_WAIT_MS})
   * lines keep flowing and each step event checks again.
   */
  private void finish() {
    reads
        .blocking(() -> runs.get(runId))
        .onFailure(this::abort)
        .onSuccess(
            run -> {
              boolean stepsRunning =
                  run.attempts().stream().anyMatch(a -> a.status() == StepStatus.RUNNING);
              if (stepsRunning && !stepsDeadlinePassed()) {
                awaitingSteps = true;
                busy = false;
                drain();
              } else {
                catchUp.upToCounts(run.attempts()).onFailure(this::abort).onSuccess(v -> end(run));
              }
            });
  }

  private boolean stepsDeadlinePassed() {
    if (stepsDeadline < 0) {
      stepsDeadline = System.currentTimeMillis() + CatchUp.GAP_WAIT_MS;
      vertx.setTimer(
          CatchUp.GAP_WAIT_MS,
          id -> {
            if (awaitingSteps && !busy && !ended) {
              busy = true;
              finish();
            }
          });
    }
    return System.currentTimeMillis() >= stepsDeadline;
  }

  /** Writes the {@code end} event; once it has been written, the response ends. */
  private void end(Run run) {
    marks.untold(run).forEach(e -> writeEvent("step", e));
    writeEvent(
        "end",
        new JsonObject()
            .put("runId", runId)
            .put("status", run.status().name())
            .put("error", run.error()));
    whenFlushed(
        () -> {
          stop();
          response.end();
        });
  }

  @Override
  public void send(FramedLine framed) {
    LogLine line = framed.line();
    long last = lastSent(line.stepRunId());
    if (line.seq() <= last) {
      return;
    }
    sent.put(line.stepRunId(), line.seq());
    if (resume == null || resume.precedes(line)) {
      marks.before(line).forEach(e -> writeEvent("step", e));
      writer.enqueue(framed.frame(), line);
    }
    marks.after(line).forEach(e -> writeEvent("step", e));
  }

  private void writeEvent(String type, JsonObject data) {
    marks.told(type, data);
    writer.enqueue(SseWriter.event(type, data), null);
  }

  @Override
  public void whenFlushed(Runnable next) {
    writer.whenFlushed(next);
  }

  @Override
  public long lastSent(long stepRunId) {
    return sent.getOrDefault(stepRunId, 0L);
  }

  @Override
  public boolean ended() {
    return ended;
  }

  /** Ends the stream now with a {@code type} event (why, where to resume). Any thread. */
  void endNow(String type, String reason) {
    context.runOnContext(v -> terminate(type, reason));
  }

  /**
   * Ends the stream with one last event saying why and where to resume; the connection is closed
   * shortly after if the client does not take that event.
   */
  private void terminate(String type, String reason) {
    if (ended) {
      return;
    }
    JsonObject data = new JsonObject().put("runId", runId).put("reason", reason);
    LogLine lastWritten = writer.lastWritten();
    data.put("after", lastWritten == null ? null : LogCursor.of(lastWritten));
    stop();
    writer.writeLast(type, data, this::stop);
    vertx.setTimer(
        CLOSE_GRACE_MS,
        id -> {
          if (!response.closed()) {
            ctx.request().connection().close();
          }
        });
  }

  private void abort(Throwable e) {
    if (ended) {
      return;
    }
    stop();
    writer.writeLast(
        "error", new JsonObject().put("message", String.valueOf(e.getMessage())), this::stop);
  }

  private void stop() {
    if (ended) {
      return;
    }
    ended = true;
    streams.closed(token, this);
    if (follow != null) {
      follow.close();
    }
    if (keepalive >= 0) {
      vertx.cancelTimer(keepalive);
    }
    held.clear();
    writer.discard();
  }
}
