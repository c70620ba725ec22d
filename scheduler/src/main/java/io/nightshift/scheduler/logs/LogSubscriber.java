package io.nightshift.scheduler.logs;

import io.nightshift.executor.Instants;
import io.nightshift.executor.LogLine;
import io.nightshift.executor.LogLineDecoder;
import io.vertx.core.Vertx;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 * before a crash are stored again, which the idempotent insert makes harmless. Entries idle longer
 * than {@code claimIdle} in other (dead) consumers are taken over with {@code XAUTOCLAIM}. The
 * group is created at id 0 with MKSTREAM, so lines added before any subscriber existed are read
 * too; it is created again if Redis lost it. Redis or database failures are logged and retried with
 * backoff; nothing is acknowledged that is not stored.
 */
public final class LogSubscriber implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LogSubscriber.class);

  private final LogStore store;
  private final LogSettings settings;
  private final Clock clock;
  private final RedisLink link;
  private final RedisLink ackLink; // a blocking read on the reader's link must not delay acks
  private final Thread reader;
  private final Thread writer;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final AtomicLong stored = new AtomicLong();
  private final SynchronousQueue<List<Entry>> handOver = new SynchronousQueue<>();
  private final Object idle = new Object();
  private int inFlight; // batches handed over and not yet stored and acknowledged; under idle
  private volatile boolean resync; // an acknowledgement failed: re-read own pending entries

  private volatile boolean running;
  private volatile Instant redisDownSince;
  private volatile Instant databaseDownSince;
  private volatile String lastError;

  /** One entry of the stream: its id and the lines it carries (empty if deleted or unreadable). */
  record Entry(String id, List<LogLine> lines) {}

  public LogSubscriber(
      Vertx vertx, RedisOptions options, LogStore store, LogSettings settings, Clock clock) {
    this.store = store;
    this.settings = settings;
    this.clock = clock;
    this.link = new RedisLink(vertx, options, settings.redisTimeout());
    this.ackLink = new RedisLink(vertx, options, settings.redisTimeout());
    this.reader = new Thread(this::loop, "nightshift-log-subscriber");
    reader.setDaemon(true);
    this.writer = new Thread(this::writeLoop, "nightshift-log-writer");
    writer.setDaemon(true);
  }

  public void start() {
    running = true;
    writer.start();
    reader.start();
  }

  /**
   * Stops at once: the Redis connection is dropped and the thread ends after its current step.
   * Entries read but not yet acknowledged stay pending in the group and are read again at the next
   * start (or claimed by another node).
   */
  public void stop() {
    running = false;
    stop.countDown();
    link.close();
    ackLink.close();
    try {
      long until = System.nanoTime() + settings.closeTimeout().toNanos();
      reader.join(Math.max(1, (until - System.nanoTime()) / 1_000_000));
      writer.join(Math.max(1, (until - System.nanoTime()) / 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
    Instant redis = redisDownSince;
    Instant db = databaseDownSince;
    if (redis != null) {
      return new BusHealth(
          false,
          "log subscriber cannot read redis since "
              + Instants.format(redis)
              + " ("
              + lastError
              + ")",
          0);
    }
    if (db != null) {
      return new BusHealth(
          false,
          "log subscriber cannot store lines since " + Instants.format(db) + " (" + lastError + ")",
          0);
    }
    return new BusHealth(running, running ? "log subscriber running" : "log subscriber stopped", 0);
  }

  private void loop() {
    Backoff backoff = new Backoff(settings.retryMin(), settings.retryMax());
    boolean groupReady = false;
    boolean ownPendingFirst = true;
    String pendingCursor = "0";
    String claimCursor = "0-0";
    Instant nextClaim = clock.instant();
    try {
      while (running) {
        try {
          if (!groupReady || resync) {
            awaitWriterIdle();
            resync = false;
            if (!groupReady) {
              createGroup();
              groupReady = true;
            }
            ownPendingFirst = true;
            pendingCursor = "0";
          }
          List<Entry> entries;
          if (ownPendingFirst) {
            entries = read(pendingCursor, false);
            ownPendingFirst = !entries.isEmpty();
            if (ownPendingFirst) {
              pendingCursor = entries.get(entries.size() - 1).id();
            }
          } else if (!clock.instant().isBefore(nextClaim)) {
            Claimed claimed = claim(claimCursor);
            entries = claimed.entries();
            claimCursor = claimed.next();
            if (claimCursor.equals("0-0")) {
              nextClaim = clock.instant().plus(claimInterval());
            }
          } else {
            entries = read(">", true);
          }
          redisUp();
          backoff.reset();
          if (!entries.isEmpty() && !handOver(entries)) {
            return; // stopping; the entries stay pending
          }
        } catch (RedisLink.RedisDown e) {
          if (!running) {
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
          redisDown(e);
          groupReady = false; // a restarted Redis may have lost the group
          if (stop.await(backoff.next().toMillis(), TimeUnit.MILLISECONDS)) {
            return;
          }
        } catch (RuntimeException e) {
          log.error("log subscriber round failed, retrying", e);
          if (stop.await(backoff.next().toMillis(), TimeUnit.MILLISECONDS)) {
            return;
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Gives the batch to the writer once it has finished the previous one; false if stopped. */
  private boolean handOver(List<Entry> entries) throws InterruptedException {
    synchronized (idle) {
      inFlight++;
    }
    while (running) {
      if (handOver.offer(entries, 100, TimeUnit.MILLISECONDS)) {
        return true;
      }
    }
    done();
    return false;
  }

  private void done() {
    synchronized (idle) {
      inFlight--;
      idle.notifyAll();
    }
  }

  /** Waits until every batch handed over is stored and acknowledged (or given up). */
  private void awaitWriterIdle() throws InterruptedException {
    synchronized (idle) {
      while (inFlight > 0 && running) {
        idle.wait(100);
      }
    }
  }

  /** The writer: stores each batch, then acknowledges it. */
  private void writeLoop() {
    try {
      while (running) {
        List<Entry> entries = handOver.poll(100, TimeUnit.MILLISECONDS);
        if (entries == null) {
          continue;
        }
        try {
          if (!persist(entries)) {
            return; // stopping; the entries stay pending
          }
          acknowledge(entries);
        } catch (RedisLink.RedisDown e) {
          // Stored but still pending: the reader re-reads its pending entries (stored again,
          // which the idempotent insert absorbs) and acknowledges them then.
          if (!running) {
            return;
          }
          redisDown(e);
          resync = true;
        } catch (RuntimeException e) {
          log.error("log writer round failed, its entries stay pending", e);
          resync = true;
        } finally {
          done();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private Duration claimInterval() {
    Duration half = settings.claimIdle().dividedBy(2);
    return half.isZero() ? Duration.ofMillis(1) : half;
  }

  private void createGroup() throws RedisLink.RedisDown, InterruptedException {
    try {
      link.send(
          Request.cmd(Command.XGROUP)
              .arg("CREATE")
              .arg(settings.stream())
              .arg(settings.group())
              .arg("0")
              .arg("MKSTREAM"));
    } catch (RedisLink.RedisDown e) {
      if (!e.startsWith("BUSYGROUP")) {
        throw e;
      }
    }
  }

  private List<Entry> read(String from, boolean block)
      throws RedisLink.RedisDown, InterruptedException {
    Request request =
        Request.cmd(Command.XREADGROUP)
            .arg("GROUP")
            .arg(settings.group())
            .arg(settings.node())
            .arg("COUNT")
            .arg(settings.readEntries());
    if (block) {
      request.arg("BLOCK").arg(settings.readBlock().toMillis());
    }
    request.arg("STREAMS").arg(settings.stream()).arg(from);
    Response reply = block ? link.send(request, settings.readBlock()) : link.send(request);
    return entriesOfRead(reply);
  }

  private record Claimed(String next, List<Entry> entries) {}

  private Claimed claim(String cursor) throws RedisLink.RedisDown, InterruptedException {
    Response reply =
        link.send(
            Request.cmd(Command.XAUTOCLAIM)
                .arg(settings.stream())
                .arg(settings.group())
                .arg(settings.node())
                .arg(settings.claimIdle().toMillis())
                .arg(cursor)
                .arg("COUNT")
                .arg(settings.readEntries()));
    List<Entry> entries = entriesOf(reply.get(1));
    if (!entries.isEmpty()) {
      log.info(
          "claimed {} log stream entries idle for over {} ms from other consumers",
          entries.size(),
          settings.claimIdle().toMillis());
    }
    return new Claimed(reply.get(0).toString(), entries);
  }

  /** XREADGROUP answers a map keyed by stream (RESP3) or an array of [stream, entries] (RESP2). */
  private List<Entry> entriesOfRead(Response reply) {
    if (reply == null) {
      return List.of();
    }
    if (reply.isMap()) {
      return entriesOf(reply.get(settings.stream()));
    }
    for (Response stream : reply) {
      if (stream.get(0).toString().equals(settings.stream())) {
        return entriesOf(stream.get(1));
      }
    }
    return List.of();
  }

  private List<Entry> entriesOf(Response list) {
    if (list == null) {
      return List.of();
    }
    List<Entry> entries = new ArrayList<>(list.size());
    for (Response entry : list) {
      String id = entry.get(0).toString();
      Response fields = entry.size() > 1 ? entry.get(1) : null;
      entries.add(new Entry(id, linesOf(id, fields)));
    }
    return entries;
  }

  /** The lines of one entry; deleted entries (null fields) and unreadable ones carry none. */
  private static List<LogLine> linesOf(String id, Response fields) {
    if (fields == null) {
      return List.of();
    }
    List<LogLine> lines = new ArrayList<>();
    if (fields.isMap()) {
      for (String key : fields.getKeys()) {
        decode(id, key, fields.get(key), lines);
      }
    } else {
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        Response field = fields.get(i);
        decode(id, field == null ? null : field.toString(), fields.get(i + 1), lines);
      }
    }
    return lines;
  }

  private static void decode(String id, String field, Response value, List<LogLine> lines) {
    try {
      if ("lines".equals(field)) {
        lines.addAll(LogLineDecoder.lines(value.toString()));
      } else if ("line".equals(field)) {
        lines.add(LogLineDecoder.line(value.toString()));
      }
    } catch (RuntimeException e) {
      // It can never be stored; acknowledging it keeps the group moving.
      log.error("log stream entry {} is unreadable and is skipped: {}", id, e.toString());
      if ("lines".equals(field)) {
        readableOnes(value.toString(), lines);
      }
    }
  }

  /** The lines of a JSON array that are readable one by one (one bad line spoils no other). */
  private static void readableOnes(String array, List<LogLine> lines) {
    try {
      for (Object o : new JsonArray(array)) {
        try {
          lines.add(LogLineDecoder.line(Json.encode(o)));
        } catch (RuntimeException bad) {
          // skipped with its entry's error above
        }
      }
    } catch (RuntimeException notAnArray) {
      // nothing readable
    }
  }

  /** Stores every line of the entries in one transaction, retrying; false if stopped first. */
  private boolean persist(List<Entry> entries) throws InterruptedException {
    List<LogLine> lines = new ArrayList<>();
    for (Entry e : entries) {
      lines.addAll(e.lines());
    }
    if (lines.isEmpty()) {
      return true;
    }
    Backoff backoff = new Backoff(settings.retryMin(), settings.retryMax());
    while (running) {
      try {
        stored.addAndGet(store.insert(lines));
        if (databaseDownSince != null) {
          log.info("storing log lines works again");
          databaseDownSince = null;
        }
        return true;
      } catch (RuntimeException e) {
        lastError = Failures.reason(e);
        if (databaseDownSince == null) {
          databaseDownSince = clock.instant();
          log.warn(
              "storing {} log lines failed, retrying (they stay pending in redis): {}",
              lines.size(),
              lastError);
        }
        if (stop.await(backoff.next().toMillis(), TimeUnit.MILLISECONDS)) {
          return false;
        }
      }
    }
    return false;
  }

  /**
   * XDEL before XACK: if the connection drops between them, the entry is still pending but gone
   * from the stream, and the next pending read sees it empty and acknowledges it. The other order
   * would leave acknowledged entries in the stream forever.
   */
  private void acknowledge(List<Entry> entries) throws RedisLink.RedisDown, InterruptedException {
    Request del = Request.cmd(Command.XDEL).arg(settings.stream());
    Request ack = Request.cmd(Command.XACK).arg(settings.stream()).arg(settings.group());
    for (Entry e : entries) {
      del.arg(e.id());
      ack.arg(e.id());
    }
    ackLink.batch(List.of(del, ack));
  }

  private void redisDown(RedisLink.RedisDown e) {
    lastError = e.getMessage();
    if (redisDownSince == null) {
      redisDownSince = clock.instant();
      log.warn("log subscriber cannot reach redis, retrying: {}", e.getMessage());
    }
  }

  private void redisUp() {
    if (redisDownSince != null) {
      log.info("log subscriber reaches redis again");
      redisDownSince = null;
    }
  }
}
