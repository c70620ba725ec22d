package io.nightshift.scheduler.logs;

import io.nightshift.executor.Instants;
import io.nightshift.executor.LogLine;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded log bus: followers are called in memory on the publisher's thread, and one persister
 * thread stores lines through {@link LogStore} in batches of up to {@code batchLines}. The queue is
 * bounded ({@code bufferLines}); when it is full (database slow or down) {@link #publish} waits, so
 * back-pressure reaches the step's process through its pipe and nothing is dropped. A failed insert
 * is retried with backoff; the insert is idempotent, so a retry never stores a line twice.
 */
public final class InProcessLogBus implements LogBus {
  private static final Logger log = LoggerFactory.getLogger(InProcessLogBus.class);

  private final LogStore store;
  private final LogSettings settings;
  private final Clock clock;
  private final Outbox<LogLine> queue;
  private final Followers followers = new Followers();
  private final CountDownLatch stop = new CountDownLatch(1);
  private final Thread persister;
  private volatile Instant failingSince;
  private volatile String lastError;

  public InProcessLogBus(LogStore store, LogSettings settings, Clock clock) {
    this.store = store;
    this.settings = settings;
    this.clock = clock;
    this.queue = new Outbox<>(settings.bufferLines());
    this.persister = new Thread(this::persistLoop, "nightshift-log-persister");
    persister.setDaemon(true);
    persister.start();
  }

  @Override
  public void publish(LogLine line) {
    queue.put(line);
    followers.line(line);
  }

  @Override
  public void publishEvent(JsonObject event) {
    followers.event(event);
  }

  @Override
  public Follow follow(long runId, Consumer<LogLine> lines, Consumer<JsonObject> events) {
    return followers.add(runId, lines, events);
  }

  @Override
  public Follow followEvents(Consumer<JsonObject> events) {
    return followers.addEvents(events);
  }

  @Override
  public BusHealth health() {
    int buffered = queue.size();
    Instant since = failingSince;
    if (since != null) {
      return new BusHealth(
          false,
          "storing log lines fails since "
              + Instants.format(since)
              + " ("
              + lastError
              + "), queued "
              + buffered
              + " lines",
          buffered);
    }
    return new BusHealth(true, "in-process, queued " + buffered + " lines", buffered);
  }

  @Override
  public void flush() throws InterruptedException {
    queue.awaitHandedOn(Duration.ofNanos(Long.MAX_VALUE));
  }

  @Override
  public boolean flush(Duration timeout) throws InterruptedException {
    return queue.awaitHandedOn(timeout);
  }

  @Override
  public void close() {
    if (queue.isClosed()) {
      return;
    }
    queue.close();
    try {
      persister.join(settings.closeTimeout().toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stop.countDown();
    persister.interrupt();
    int left = queue.size();
    if (left > 0) {
      log.error("log bus closed with {} lines not stored (database unreachable)", left);
    }
  }

  private void persistLoop() {
    Backoff backoff = new Backoff(settings.retryMin(), settings.retryMax());
    try {
      while (true) {
        List<LogLine> batch = queue.peek(settings.batchLines(), settings.linger());
        if (batch.isEmpty()) {
          return; // closed and drained
        }
        while (!tryInsert(batch)) {
          if (stop.await(backoff.next().toMillis(), TimeUnit.MILLISECONDS)) {
            return;
          }
        }
        backoff.reset();
        queue.remove(batch.size());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean tryInsert(List<LogLine> batch) {
    try {
      store.insert(batch);
      if (failingSince != null) {
        log.info("storing log lines works again");
        failingSince = null;
      }
      return true;
    } catch (RuntimeException e) {
      lastError = Failures.reason(e);
      if (failingSince == null) {
        failingSince = clock.instant();
        log.warn("storing {} log lines failed, retrying: {}", batch.size(), lastError);
      }
      return false;
    }
  }
}
