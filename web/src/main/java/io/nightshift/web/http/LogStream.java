package io.nightshift.web.http;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.logs.Follow;
import io.nightshift.scheduler.logs.LogBus;
import io.nightshift.scheduler.logs.LogStore;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.run.StepRun;
import io.nightshift.scheduler.run.StepStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One follower of a run's output over Server-Sent Events. It subscribes to live lines first and
 * holds them, replays what is stored, then lets the held lines through: a line is sent once, in
 * order per step, and a gap between what was stored and what arrives live is filled from the store
 * (lines in flight to the store arrive there shortly). When the run ends, every attempt's lines up
 * to its recorded count are sent before the {@code end} event.
 *
 * <p>Everything but store reads runs on the request's event loop; store reads are blocking calls on
 * worker threads.
 */
final class LogStream {
  private static final int PAGE = 1000;
  private static final int MAX_HELD = 200_000;
  private static final long KEEPALIVE_MS = 15_000;
  private static final long GAP_WAIT_MS = 30_000;

  private final Vertx vertx;
  private final Context context;
  private final RoutingContext ctx;
  private final HttpServerResponse response;
  private final long runId;
  private final RunRepository runs;
  private final LogStore store;
  private final LogBus bus;

  private final Map<Long, Long> sent = new HashMap<>();
  private final ArrayDeque<Object> held = new ArrayDeque<>();
  private boolean busy = true;
  private boolean ended;
  private boolean awaitingSteps;
  private long stepsDeadline = -1;
  private Follow follow;
  private long keepalive = -1;

  LogStream(
      Vertx vertx, RoutingContext ctx, long runId, RunRepository runs, LogStore store, LogBus bus) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.ctx = ctx;
    this.response = ctx.response();
    this.runId = runId;
    this.runs = runs;
    this.store = store;
    this.bus = bus;
  }

  void start() {
    follow =
        bus.follow(
            runId,
            line -> context.runOnContext(v -> arrive(line)),
            event -> context.runOnContext(v -> arrive(event)));
    blocking(() -> runs.get(runId))
        .onFailure(
            e -> {
              follow.close();
              ctx.fail(e);
            })
        .onSuccess(
            run -> {
              response
                  .setChunked(true)
                  .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                  .putHeader("Cache-Control", "no-cache")
                  .putHeader("X-Accel-Buffering", "no");
              response.closeHandler(v -> stop());
              response.write(": following run " + runId + "\n\n");
              keepalive = vertx.setPeriodic(KEEPALIVE_MS, id -> writeRaw(": keepalive\n\n"));
              replay(null, run.status().terminal());
            });
  }

  private void replay(String cursor, boolean runEnded) {
    blocking(() -> store.page(runId, null, cursor, PAGE))
        .onFailure(this::abort)
        .onSuccess(
            page -> {
              page.items().forEach(this::sendLine);
              if (page.next() != null) {
                whenWritable(() -> replay(page.next(), runEnded));
              } else if (runEnded) {
                finish();
              } else {
                busy = false;
                drain();
              }
            });
  }

  private void arrive(Object item) {
    if (ended) {
      return;
    }
    held.add(item);
    if (held.size() > MAX_HELD) {
      writeEvent("error", new JsonObject().put("message", "client too slow; reconnect to resume"));
      stop();
      response.end();
      return;
    }
    if (!busy) {
      drain();
    }
  }

  /** Sends held items in order until one needs the store (a gap, or the run's end). */
  private void drain() {
    while (!busy && !ended && !held.isEmpty()) {
      Object item = held.poll();
      if (item instanceof LogLine line) {
        long last = sent.getOrDefault(line.stepRunId(), 0L);
        if (line.seq() <= last) {
          continue;
        }
        if (line.seq() > last + 1) {
          busy = true;
          fill(line.stepRunId(), last, line.seq())
              .onFailure(this::abort)
              .onSuccess(
                  v -> {
                    sendLine(line);
                    busy = false;
                    drain();
                  });
          return;
        }
        sendLine(line);
      } else if (item instanceof JsonObject event) {
        String type = event.getString("type", "event");
        writeEvent(type, event);
        if (("run".equals(type) && isTerminal(event.getString("status")))
            || (awaitingSteps && "step".equals(type))) {
          busy = true;
          finish();
          return;
        }
      }
    }
  }

  /**
   * Sends every stored line of every attempt up to its recorded count, then {@code end}. A run can
   * end while a step is still being killed (cancel): its count is known only once it has ended, so
   * until then (at most {@link #GAP_WAIT_MS}) lines keep flowing and each step event checks again.
   */
  private void finish() {
    blocking(() -> runs.get(runId))
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
                completeAttempts(run, run.attempts(), 0);
              }
            });
  }

  private boolean stepsDeadlinePassed() {
    if (stepsDeadline < 0) {
      stepsDeadline = System.currentTimeMillis() + GAP_WAIT_MS;
      vertx.setTimer(
          GAP_WAIT_MS,
          id -> {
            if (awaitingSteps && !busy && !ended) {
              busy = true;
              finish();
            }
          });
    }
    return System.currentTimeMillis() >= stepsDeadline;
  }

  private void completeAttempts(Run run, List<StepRun> attempts, int index) {
    if (index >= attempts.size()) {
      writeEvent(
          "end",
          new JsonObject()
              .put("runId", runId)
              .put("status", run.status().name())
              .put("error", run.error()));
      stop();
      response.end();
      return;
    }
    StepRun attempt = attempts.get(index);
    long last = sent.getOrDefault(attempt.id(), 0L);
    if (attempt.lineCount() <= last) {
      completeAttempts(run, attempts, index + 1);
      return;
    }
    fill(attempt.id(), last, attempt.lineCount() + 1)
        .onFailure(this::abort)
        .onSuccess(v -> completeAttempts(run, attempts, index + 1));
  }

  /** Sends stored lines {@code after < seq < before} of one attempt, waiting for stragglers. */
  private Future<Void> fill(long stepRunId, long after, long before) {
    io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    fill(stepRunId, after, before, System.currentTimeMillis() + GAP_WAIT_MS, done);
    return done.future();
  }

  /** One read of the gap; while lines are missing, reads again on a timer (no thread waits). */
  private void fill(
      long stepRunId, long after, long before, long deadline, io.vertx.core.Promise<Void> done) {
    blocking(() -> store.range(stepRunId, after, before))
        .onFailure(done::fail)
        .onSuccess(
            lines -> {
              if (lines.size() < before - after - 1
                  && System.currentTimeMillis() < deadline
                  && !ended) {
                vertx.setTimer(20, id -> fill(stepRunId, after, before, deadline, done));
                return;
              }
              lines.forEach(this::sendLine);
              done.complete();
            });
  }

  private void sendLine(LogLine line) {
    long last = sent.getOrDefault(line.stepRunId(), 0L);
    if (line.seq() <= last) {
      return;
    }
    sent.put(line.stepRunId(), line.seq());
    writeEvent("log", line.toJson());
  }

  private void writeEvent(String type, JsonObject data) {
    writeRaw("event: " + type + "\ndata: " + data.encode() + "\n\n");
  }

  private void writeRaw(String text) {
    if (!response.ended() && !response.closed()) {
      response.write(text);
    }
  }

  private void whenWritable(Runnable next) {
    if (response.writeQueueFull()) {
      response.drainHandler(v -> next.run());
    } else {
      next.run();
    }
  }

  private void abort(Throwable e) {
    writeEvent("error", new JsonObject().put("message", String.valueOf(e.getMessage())));
    stop();
    if (!response.ended() && !response.closed()) {
      response.end();
    }
  }

  private void stop() {
    ended = true;
    if (follow != null) {
      follow.close();
    }
    if (keepalive >= 0) {
      vertx.cancelTimer(keepalive);
    }
    held.clear();
  }

  private static boolean isTerminal(String status) {
    try {
      return status != null && RunStatus.valueOf(status).terminal();
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private <T> Future<T> blocking(java.util.concurrent.Callable<T> work) {
    return vertx.executeBlocking(work, false);
  }
}
