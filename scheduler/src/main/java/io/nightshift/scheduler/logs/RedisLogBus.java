package io.nightshift.scheduler.logs;

import io.nightshift.executor.Instants;
import io.nightshift.executor.LogLine;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log bus of production mode. {@link #publish} appends to a bounded in-memory outbox; one
 * sender thread takes up to {@code batchLines} items at a time and writes them as ONE pipeline:
 * {@code PUBLISH <channelPrefix><runId> <line JSON>} per line (the public live channel), {@code
 * PUBLISH <eventsChannel> <event JSON>} per event, and one {@code XADD <stream> * lines <JSON array
 * of the batch's lines>} for the {@link LogSubscriber}. Items leave the outbox only when Redis has
 * answered the whole pipeline.
 *
 * <p>Redis down: the sender retries the same batch with backoff, the outbox keeps filling in order
 * up to {@code bufferLines}, then publishers wait; {@link #health()} says so. When Redis answers
 * again the outbox drains in order. A batch that failed half-way is sent again: the stream may then
 * hold a line twice, which the idempotent insert absorbs, and a live follower may see it twice.
 *
 * <p>Live follow: ONE connection per node with {@code PSUBSCRIBE <channelPrefix>*} and {@code
 * SUBSCRIBE <eventsChannel>}, dispatching locally to the followers of each run (lines of runs
 * nobody follows here are not even parsed); it reconnects by itself.
 */
public final class RedisLogBus implements LogBus {
  private static final Logger log = LoggerFactory.getLogger(RedisLogBus.class);

  private final LogSettings settings;
  private final Clock clock;
  private final Outbox<Object> outbox;
  private final Followers followers = new Followers();
  private final RedisLink link;
  private final Redis subscriberClient;
  private final Context context;
  private final Thread sender;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final Promise<Void> firstSubscription = Promise.promise();

  private volatile Instant downSince;
  private volatile String lastError;
  private volatile boolean following;
  private volatile boolean closed;

  // Touched only on the context.
  private RedisConnection subscription;
  private int confirmations;
  private final Backoff resubscribe;

  public RedisLogBus(Vertx vertx, RedisOptions options, LogSettings settings, Clock clock) {
    this.settings = settings;
    this.clock = clock;
    this.outbox = new Outbox<>(settings.bufferLines());
    this.link = new RedisLink(vertx, options, settings.redisTimeout());
    this.subscriberClient = Redis.createClient(vertx, new RedisOptions(options).setMaxPoolSize(1));
    this.context = vertx.getOrCreateContext();
    this.resubscribe = new Backoff(settings.retryMin(), settings.retryMax());
    this.sender = new Thread(this::sendLoop, "nightshift-log-sender");
    sender.setDaemon(true);
  }

  /**
   * Starts sending and following. The future completes once the live subscription is active (it
   * keeps retrying while Redis is down; nothing waits for it but callers who want to).
   */
  public Future<Void> start() {
    sender.start();
    context.runOnContext(v -> subscribe());
    return firstSubscription.future();
  }

  @Override
  public void publish(LogLine line) {
    outbox.put(line);
  }

  @Override
  public void publishEvent(JsonObject event) {
    outbox.put(event.copy());
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
    int buffered = outbox.size();
    Instant since = downSince;
    // Each side of the Redis link (publishing, the live subscription) notices an outage on its
    // own: name every problem seen, and always what waits in memory.
    List<String> problems = new ArrayList<>(2);
    if (since != null) {
      problems.add("redis down since " + Instants.format(since) + " (" + lastError + ")");
    }
    if (!following) {
      problems.add("live log subscription to redis is not active");
    }
    if (problems.isEmpty()) {
      return new BusHealth(true, "redis up, " + buffered + " lines waiting to be sent", buffered);
    }
    return new BusHealth(
        false,
        String.join("; ", problems)
            + ", buffering "
            + buffered
            + " lines in memory (bound "
            + settings.bufferLines()
            + ")",
        buffered);
  }

  @Override
  public void flush() throws InterruptedException {
    outbox.awaitHandedOn(Duration.ofNanos(Long.MAX_VALUE));
  }

  @Override
  public boolean flush(Duration timeout) throws InterruptedException {
    return outbox.awaitHandedOn(timeout);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    outbox.close();
    try {
      sender.join(settings.closeTimeout().toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stop.countDown();
    sender.interrupt();
    int left = outbox.size();
    if (left > 0) {
      log.error("log bus closed with {} lines not handed to redis ({})", left, lastError);
    }
    link.close();
    context.runOnContext(
        v -> {
          if (subscription != null) {
            subscription.close();
          }
          subscriberClient.close();
        });
  }

  // ---- sending

  private void sendLoop() {
    Backoff backoff = new Backoff(settings.retryMin(), settings.retryMax());
    try {
      while (true) {
        List<Object> batch = outbox.peek(settings.batchLines(), settings.linger());
        if (batch.isEmpty()) {
          return; // closed and drained
        }
        List<Request> pipeline = pipeline(batch);
        while (true) {
          try {
            link.batch(pipeline);
            break;
          } catch (RedisLink.RedisDown e) {
            down(e);
            if (stop.await(backoff.next().toMillis(), TimeUnit.MILLISECONDS)) {
              return;
            }
          }
        }
        backoff.reset();
        up();
        outbox.remove(batch.size());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private List<Request> pipeline(List<Object> batch) {
    List<Request> requests = new ArrayList<>(batch.size() + 1);
    StringBuilder lines = new StringBuilder(batch.size() * 200).append('[');
    boolean any = false;
    for (Object item : batch) {
      if (item instanceof LogLine line) {
        String json = line.toJson().encode();
        requests.add(Request.cmd(Command.PUBLISH).arg(settings.channel(line.runId())).arg(json));
        if (any) {
          lines.append(',');
        }
        lines.append(json);
        any = true;
      } else {
        requests.add(
            Request.cmd(Command.PUBLISH)
                .arg(settings.eventsChannel())
                .arg(((JsonObject) item).encode()));
      }
    }
    if (any) {
      requests.add(
          Request.cmd(Command.XADD)
              .arg(settings.stream())
              .arg("*")
              .arg("lines")
              .arg(lines.append(']').toString()));
    }
    return requests;
  }

  private void down(RedisLink.RedisDown e) {
    lastError = e.getMessage();
    if (downSince == null) {
      downSince = clock.instant();
      log.warn(
          "redis unreachable, buffering log lines in memory (bound {}): {}",
          settings.bufferLines(),
          e.getMessage());
    }
  }

  private void up() {
    if (downSince != null) {
      log.info("redis reachable again, sending buffered log lines ({})", outbox.size());
      downSince = null;
    }
  }

  // ---- live follow, on the context

  private void subscribe() {
    if (closed) {
      return;
    }
    confirmations = 0;
    subscriberClient
        .connect()
        .onSuccess(
            conn -> {
              subscription = conn;
              conn.handler(this::onMessage);
              conn.exceptionHandler(e -> lost(conn, e));
              conn.endHandler(v -> lost(conn, null));
              conn.send(Request.cmd(Command.PSUBSCRIBE).arg(settings.channelPrefix() + "*"))
                  .compose(
                      r -> conn.send(Request.cmd(Command.SUBSCRIBE).arg(settings.eventsChannel())))
                  .onFailure(e -> lost(conn, e));
            })
        .onFailure(e -> retrySubscribe(e));
  }

  private void lost(RedisConnection conn, Throwable e) {
    if (subscription != conn) {
      return;
    }
    subscription = null;
    following = false;
    conn.close();
    retrySubscribe(e);
  }

  private void retrySubscribe(Throwable e) {
    if (closed) {
      return;
    }
    long delay = resubscribe.next().toMillis();
    log.debug("live log subscription lost, again in {} ms: {}", delay, e == null ? "closed" : e);
    context.owner().setTimer(delay, id -> context.runOnContext(v -> subscribe()));
  }

  private void onMessage(Response message) {
    if (message == null || message.size() < 3) {
      return;
    }
    String kind = message.get(0).toString();
    switch (kind) {
      case "pmessage" -> onLine(message.get(2).toString(), message.get(3));
      case "message" -> onEvent(message.get(2));
      case "psubscribe", "subscribe" -> {
        if (++confirmations == 2) {
          following = true;
          resubscribe.reset();
          firstSubscription.tryComplete();
        }
      }
      default -> {}
    }
  }

  private void onLine(String channel, Response payload) {
    long runId;
    try {
      runId = Long.parseLong(channel.substring(settings.channelPrefix().length()));
    } catch (RuntimeException e) {
      return; // not a run channel
    }
    if (!followers.follows(runId)) {
      return;
    }
    try {
      followers.line(LogLine.fromJson(new JsonObject(payload.toString())));
    } catch (RuntimeException e) {
      log.warn("unreadable line on {}: {}", channel, e.toString());
    }
  }

  private void onEvent(Response payload) {
    try {
      followers.event(new JsonObject(payload.toString()));
    } catch (RuntimeException e) {
      log.warn("unreadable event on {}: {}", settings.eventsChannel(), e.toString());
    }
  }
}
