package io.nightshift.executor;

import io.nightshift.executor.Outcome.Status;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An HTTP call in flight. Created by {@link HttpExecutor#start}. The outcome is decided once: by
 * the response, a failure to connect, the timeout or {@link #cancel()}, whichever comes first.
 */
public final class HttpCall {
  private final Transcript transcript;
  private final Clock clock;
  private final Instant started;
  private final Executor async;
  private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
  private final AtomicBoolean decided = new AtomicBoolean();
  private volatile Future<?> exchange;
  private volatile Future<?> timer;

  HttpCall(Transcript transcript, Clock clock, Instant started, Executor async) {
    this.transcript = transcript;
    this.async = async;
    this.clock = clock;
    this.started = started;
  }

  /** Completes when the call is decided; the sink gets no line after that. */
  public CompletableFuture<Outcome> outcome() {
    return outcome;
  }

  /**
   * Makes the outcome CANCELED, unless it is already decided, and aborts the call. The decision is
   * immediate; the line and the abort happen on a pool thread, so an event loop may call this.
   */
  public void cancel() {
    if (decided.compareAndSet(false, true)) {
      async.execute(() -> complete(Status.CANCELED, "canceled", "canceled"));
    }
  }

  void exchange(Future<?> exchange) {
    this.exchange = exchange;
    if (outcome.isDone()) {
      exchange.cancel(true);
    }
  }

  void timer(Future<?> timer) {
    this.timer = timer;
    if (outcome.isDone()) {
      timer.cancel(false);
    }
  }

  /**
   * Decides the call, if nobody did yet: writes {@code line} as a system line (if not null), closes
   * the transcript and completes the outcome; aborts the exchange if it is still running.
   */
  void finish(Status status, String error, String line) {
    if (decided.compareAndSet(false, true)) {
      complete(status, error, line);
    }
  }

  private void complete(Status status, String error, String line) {
    if (line != null) {
      transcript.system(line);
    }
    transcript.close();
    Future<?> t = timer;
    if (t != null) {
      t.cancel(false);
    }
    Future<?> e = exchange;
    if (e != null && !e.isDone()) {
      e.cancel(true);
    }
    outcome.complete(
        new Outcome(
            status,
            null,
            transcript.mask(error),
            Durations.between(started, clock.instant()),
            transcript.lines(),
            transcript.dropped()));
  }
}
