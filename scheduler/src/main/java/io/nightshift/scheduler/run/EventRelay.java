package io.nightshift.scheduler.run;

import io.nightshift.executor.DaemonThreads;
import io.nightshift.scheduler.logs.LogBus;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays the event outbox: claims stored events in order (one winner per event across nodes), hands
 * them to the {@link Claimed} consumers in the claim's transaction (webhook fan-out: a webhook
 * delivery exists if and only if its event was claimed), then publishes them on the bus ({@code
 * nightshift:events}, SSE) and tells this node's {@link RunListener}s. Runs on its own thread: a
 * Redis outage or a log backlog delays announcements, never the engine that wrote them. Woken by
 * the engine after each change; polls anyway, so events a crashed node left are relayed by any
 * node.
 */
public final class EventRelay implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EventRelay.class);
  private static final int BATCH = 200;

  /**
   * How long a wake waits before its pass, so that one pass relays what several changes wrote
   * meanwhile (a one-step run writes four events): fewer claims, reads and commits for an
   * announcement that comes this much later at most.
   */
  static final Duration GATHER = Duration.ofMillis(50);

  /** Consumers of claimed events, inside the claim's transaction. */
  public interface Claimed {
    /**
     * Handles the events; true when it wrote work that the {@link #afterRelay} actions should look
     * at once the claim has committed (webhook deliveries), false when it wrote nothing.
     */
    boolean claimed(DSLContext tx, List<RunEventRepository.Stored> events);
  }

  /** What one claim won, and whether a consumer wrote work to do after it. */
  private record Won(List<RunEventRepository.Stored> events, boolean wroteWork) {}

  private final DSLContext dsl;
  private final RunEventRepository events;
  private final LogBus bus;
  private final Clock clock;
  private final String instance;
  private final Duration keep;
  private final List<Claimed> consumers = new CopyOnWriteArrayList<>();
  private final List<RunListener> listeners = new CopyOnWriteArrayList<>();
  private final List<Runnable> afterRelay = new CopyOnWriteArrayList<>();
  private final AtomicLong passes = new AtomicLong();
  private final AtomicBoolean pending = new AtomicBoolean();
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(new DaemonThreads("nightshift-event-relay-"));
  private volatile Instant lastPurge = Instant.EPOCH;

  /**
   * {@code instance}: this node instance (claims are named after it); {@code keep}: how long
   * relayed events stay in the table.
   */
  public EventRelay(
      DSLContext dsl, LogBus bus, Clock clock, String instance, Duration poll, Duration keep) {
    this.dsl = dsl;
    this.events = new RunEventRepository(dsl);
    this.bus = bus;
    this.clock = clock;
    this.instance = instance;
    this.keep = keep;
    thread.scheduleWithFixedDelay(
        this::wake, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
  }

  public void addConsumer(Claimed consumer) {
    consumers.add(consumer);
  }

  public void addListener(RunListener listener) {
    listeners.add(listener);
  }

  /**
   * Called after each pass whose consumers wrote work (the webhook deliveries to send); a pass that
   * wrote none wakes nothing.
   */
  public void afterRelay(Runnable action) {
    afterRelay.add(action);
  }

  /**
   * Something was written: relay soon, after {@link #GATHER} (coalesced: one pass runs for the
   * wakes of that time).
   */
  public void wake() {
    if (pending.compareAndSet(false, true)) {
      try {
        thread.schedule(this::drain, GATHER.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        pending.set(false);
      }
    }
  }

  private void drain() {
    pending.set(false);
    try {
      while (relayOnce() == BATCH) {
        // a full batch: more may wait
      }
      purge();
    } catch (RuntimeException e) {
      log.warn("relaying events failed (retried at the next poll): {}", e.toString());
    }
  }

  /** One pass: claims up to a batch of events and announces those this node won. */
  public int relayOnce() {
    List<RunEventRepository.Stored> batch = events.unrelayed(BATCH);
    if (batch.isEmpty()) {
      return 0;
    }
    List<RunEventRepository.Stored> won = new java.util.ArrayList<>();
    boolean wroteWork = false;
    try {
      Won all = claim(batch, true);
      won.addAll(all.events());
      wroteWork = all.wroteWork();
    } catch (RuntimeException batchFailed) {
      // One event a consumer cannot handle must not hold back the others: one by one, and one
      // that still fails is relayed without its consumers (logged), never retried forever.
      for (RunEventRepository.Stored event : batch) {
        try {
          Won one = claim(List.of(event), true);
          won.addAll(one.events());
          wroteWork |= one.wroteWork();
        } catch (RuntimeException e) {
          log.error("event {} cannot be handed to webhooks; announced only", event.id(), e);
          won.addAll(claim(List.of(event), false).events());
        }
      }
    }
    for (RunEventRepository.Stored event : won) {
      announce(event.body());
    }
    if (wroteWork) {
      afterRelay.forEach(Runnable::run);
    }
    return batch.size();
  }

  private Won claim(List<RunEventRepository.Stored> batch, boolean withConsumers) {
    String by = instance + ":" + passes.incrementAndGet();
    List<Long> ids = batch.stream().map(RunEventRepository.Stored::id).toList();
    return dsl.transactionResult(
        cfg -> {
          java.util.Set<Long> mine =
              new java.util.HashSet<>(
                  RunEventRepository.claim(cfg.dsl(), ids, by, clock.instant()));
          List<RunEventRepository.Stored> claimed =
              batch.stream().filter(e -> mine.contains(e.id())).toList();
          boolean wroteWork = false;
          if (withConsumers && !claimed.isEmpty()) {
            for (Claimed consumer : consumers) {
              wroteWork |= consumer.claimed(cfg.dsl(), claimed);
            }
          }
          return new Won(claimed, wroteWork);
        });
  }

  private void announce(JsonObject event) {
    try {
      bus.publishEvent(event);
    } catch (RuntimeException e) {
      log.warn("cannot publish event {}: {}", event.getLong("eventId"), e.toString());
    }
    for (RunListener listener : listeners) {
      try {
        if (RunEvents.isRun(event)) {
          listener.runChanged(
              event.getLong("runId"),
              RunStatus.valueOf(event.getString("status")),
              event.getString("error"));
        } else if (RunEvents.isApproval(event)) {
          listener.approvalChanged("approval." + event.getString("event"), event.getLong("runId"));
        }
      } catch (RuntimeException e) {
        log.warn("a listener failed on event {}", event.getLong("eventId"), e);
      }
    }
  }

  private void purge() {
    Instant now = clock.instant();
    if (Duration.between(lastPurge, now).compareTo(Duration.ofMinutes(1)) < 0) {
      return;
    }
    lastPurge = now;
    events.purgeRelayedBefore(now.minus(keep), 10_000);
  }

  @Override
  public void close() {
    thread.shutdown();
    try {
      if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
        thread.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      thread.shutdownNow();
    }
  }
}
