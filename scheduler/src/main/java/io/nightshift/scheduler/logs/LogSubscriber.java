package io.nightshift.scheduler.logs;

import io.nightshift.executor.LogLine;
import io.nightshift.executor.LogLineDecoder;
import io.vertx.core.Vertx;
import io.vertx.redis.client.RedisOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Persists the log stream to the database (Redis mode). Consumer {@code node} of group {@code
 * group} on {@code stream}; two threads of its own (JDBC never runs on an event loop), each with
 * its own Redis connection: the reader reads and decodes the next batch while the writer commits
 * the previous one (one batch handed over at a time).
 *
 * <p>Each round: the reader reads up to {@code readEntries} entries and decodes their lines with
 * {@link LogLineDecoder}; the writer stores all of them in one transaction (idempotent insert), and
 * only after the commit {@code XDEL} then {@code XACK} them. At start, after every reconnect and
 * after a failed acknowledgement the reader first waits for the writer to finish, then re-reads its
 * own pending entries (from id 0, then after the last one read): entries read but not acknowledged
 * before a crash are stored again, which the idempotent insert makes harmless. Entries pending in a
 * consumer whose node holds no live lease are taken over at once (XPENDING + XCLAIM), and any idle
 * longer than {@code claimIdle} in other consumers with {@code XAUTOCLAIM}. The group is created at
 * id 0 with MKSTREAM, so lines added before any subscriber existed are read too; it is created
 * again if Redis lost it. Redis or database failures are logged and retried with backoff; nothing
 * is acknowledged that is not stored.
 *
 * <p>The Redis commands are {@link ConsumerGroup}'s, decoding is {@link StreamEntryDecoder}'s, the
 * reader-to-writer hand-over is {@link BatchHandOver}'s and the failure state {@link
 * SubscriberHealth}'s; this class runs the two loops.
 */
public final class LogSubscriber implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogSubscriber.class);

  private final LogStore store;
  private final LogSettings settings;
  private final Clock clock;
  private final ConsumerGroup group;
  private final Thread reader;
  private final Thread writer;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final AtomicLong stored = new AtomicLong();
  private final BatchHandOver handOver = new BatchHandOver();
  private final SubscriberHealth health;
  private volatile boolean resync; // an acknowledgement failed: re-read own pending entries
  private final Supplier<Set<String>> liveNodes; // null: only XAUTOCLAIM after claimIdle
  private final Duration goneCheckEvery;
  private String takingFrom; // the gone consumer whose entries the last round took over

  private volatile boolean running;
  private volatile boolean reading; // false once stopping: the reader reads nothing more
  private final CountDownLatch stopReading = new CountDownLatch(1);

  public LogSubscriber(
      Vertx vertx, RedisOptions options, LogStore store, LogSettings settings, Clock clock) {
    this(vertx, options, store, settings, clock, null, Duration.ZERO);
  }

  /**
   * Also takes over, every {@code goneCheckEvery}, the entries pending (for {@code goneCheckEvery}
   * at least) in consumers whose node is not among {@code liveNodes} (the names of the nodes
   * holding a live lease, asked only when another consumer has entries pending): a node killed with
   * lines read but not stored has them stored as soon as its lease is found expired, not {@code
   * claimIdle} later.
   */
  public LogSubscriber(
      Vertx vertx,
      RedisOptions options,
      LogStore store,
      LogSettings settings,
      Clock clock,
      Supplier<Set<String>> liveNodes,
      Duration goneCheckEvery) {
    this.liveNodes = liveNodes;
    this.goneCheckEvery = goneCheckEvery;
    this.store = store;
    this.settings = settings;
    this.clock = clock;
    this.group = new ConsumerGroup(vertx, options, settings);
    this.health = new SubscriberHealth(clock);
    this.reader = new Thread(this::loop, "nightshift-log-subscriber");
    reader.setDaemon(true);
    this.writer = new Thread(this::writeLoop, "nightshift-log-writer");
    writer.setDaemon(true);
  }

  public void start() {
    running = true;
    reading = true;
    writer.start();
    reader.start();
  }

  /**
   * Stops: reads nothing more, stores and acknowledges the entries already read (a blocking read
   * under way returns within {@code readBlock}), then drops the Redis connections, all within the
   * close timeout. A node that stops thus leaves no lines pending in its name while others follow
   * the run. What is not stored by then (the database or Redis is down) stays pending in the group:
   * read again at the next start, or claimed by another node once idle for {@code claimIdle}.
   */
  public void stop() {
    long until = System.nanoTime() + settings.closeTimeout().toNanos();
    reading = false;
    stopReading.countDown();
    try {
      reader.join(millisLeft(until));
      handOver.awaitIdle(() -> System.nanoTime() < until);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    running = false;
    stop.countDown();
    group.close();
    try {
      reader.join(millisLeft(until));
      writer.join(millisLeft(until));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static long millisLeft(long until) {
    return Math.max(1, (until - System.nanoTime()) / 1_000_000);
  }

  @Override
  public void close() {
    stop();
  }

  /** Lines this subscriber inserted (replays of stored lines not counted). */
  public long storedLines() {
    return stored.get();
  }

  public BusHealth health() {
    return health.of(running);
  }

  private void loop() {
    Backoff backoff = new Backoff(settings.retryMin(), settings.retryMax());
    boolean groupReady = false;
    boolean ownPendingFirst = true;
    String pendingCursor = "0";
    String claimCursor = "0-0";
    Instant nextClaim = clock.instant();
    Instant nextGoneCheck = clock.instant();
    try {
      while (reading) {
        try {
          if (!groupReady || resync) {
            handOver.awaitIdle(() -> running);
            resync = false;
            if (!groupReady) {
              group.create();
              groupReady = true;
            }
            ownPendingFirst = true;
            pendingCursor = "0";
          }
          List<StreamEntry> entries;
          if (ownPendingFirst) {
            entries = group.read(pendingCursor, false);
            ownPendingFirst = !entries.isEmpty();
            if (ownPendingFirst) {
              pendingCursor = entries.get(entries.size() - 1).id();
            }
          } else if (liveNodes != null && !clock.instant().isBefore(nextGoneCheck)) {
            entries = takeOverGone();
            if (entries.isEmpty()) {
              nextGoneCheck = clock.instant().plus(goneCheckEvery);
            }
          } else if (!clock.instant().isBefore(nextClaim)) {
            ConsumerGroup.Claimed claimed = group.claim(claimCursor);
            entries = claimed.entries();
            claimCursor = claimed.next();
            if (claimCursor.equals("0-0")) {
              nextClaim = clock.instant().plus(claimInterval());
            }
          } else {
            entries = group.read(">", true);
          }
          health.redisUp();
          backoff.reset();
          if (!entries.isEmpty() && !handOver.offer(entries, () -> running)) {
            return; // stopping; the entries stay pending
          }
        } catch (RedisLink.RedisDown e) {
          if (!reading) {
            return;
          }
          if (e.startsWith("NOGROUP")) {
            log.info(
                "consumer group {} missing on {}, creating it",
                settings.group(),
                settings.stream());
            groupReady = false;
            continue;
          }
          health.redisDown(e);
          groupReady = false; // a restarted Redis may have lost the group
          if (stopReading.await(backoff.next().toMillis(), TimeUnit.MILLISECONDS)) {
            return;
          }
        } catch (RuntimeException e) {
          log.error("log subscriber round failed, retrying", e);
          if (stopReading.await(backoff.next().toMillis(), TimeUnit.MILLISECONDS)) {
            return;
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The writer: stores each batch, then acknowledges it. */
  private void writeLoop() {
    try {
      while (running) {
        List<StreamEntry> entries = handOver.poll();
        if (entries == null) {
          continue;
        }
        try {
          if (!persist(entries)) {
            return; // stopping; the entries stay pending
          }
          group.acknowledge(entries);
        } catch (RedisLink.RedisDown e) {
          // Stored but still pending: the reader re-reads its pending entries (stored again,
          // which the idempotent insert absorbs) and acknowledges them then.
          if (!running) {
            return;
          }
          health.redisDown(e);
          resync = true;
        } catch (RuntimeException e) {
          log.error("log writer round failed, its entries stay pending", e);
          resync = true;
        } finally {
          handOver.done();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A page of the entries pending in a consumer whose node holds no live lease (empty: none). The
   * database is asked only when another consumer has entries pending; when it cannot answer,
   * nothing is taken over (claimIdle still applies).
   */
  private List<StreamEntry> takeOverGone() throws RedisLink.RedisDown, InterruptedException {
    Map<String, Long> pending = group.othersPending();
    if (pending.isEmpty()) {
      takingFrom = null;
      return List.of();
    }
    Set<String> live;
    try {
      live = liveNodes.get();
    } catch (RuntimeException e) {
      log.debug("live nodes unknown, no log entries taken over: {}", e.toString());
      return List.of();
    }
    for (Map.Entry<String, Long> consumer : pending.entrySet()) {
      if (live.contains(consumer.getKey())) {
        continue;
      }
      List<StreamEntry> taken = group.takeOver(consumer.getKey(), goneCheckEvery);
      if (!taken.isEmpty()) {
        if (!consumer.getKey().equals(takingFrom)) {
          log.info(
              "taking over {} log stream entries pending in consumer {}: its node holds no live"
                  + " lease",
              consumer.getValue(),
              consumer.getKey());
          takingFrom = consumer.getKey();
        }
        return taken;
      }
    }
    takingFrom = null;
    return List.of();
  }

  private Duration claimInterval() {
    Duration half = settings.claimIdle().dividedBy(2);
    return half.isZero() ? Duration.ofMillis(1) : half;
  }

  /** Stores every line of the entries in one transaction, retrying; false if stopped first. */
  private boolean persist(List<StreamEntry> entries) throws InterruptedException {
    List<LogLine> lines = new ArrayList<>();
    for (StreamEntry e : entries) {
      lines.addAll(e.lines());
    }
    if (lines.isEmpty()) {
      return true;
    }
    Backoff backoff = new Backoff(settings.retryMin(), settings.retryMax());
    while (running) {
      try {
        stored.addAndGet(store.insert(lines));
        health.databaseUp();
        return true;
      } catch (RuntimeException e) {
        health.databaseDown(e, lines.size());
        if (stop.await(backoff.next().toMillis(), TimeUnit.MILLISECONDS)) {
          return false;
        }
      }
    }
    return false;
  }
}
