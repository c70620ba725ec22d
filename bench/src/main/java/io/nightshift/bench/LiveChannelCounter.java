package io.nightshift.bench;

import java.io.IOException;
import java.util.BitSet;
import java.util.List;

/**
 * Subscribes to one run's public live channel ({@code nightshift:log:{runId}}) like an external
 * follower (redis-cli, a log shipper) would, and counts what arrives: messages, distinct {@code
 * seq}, duplicates. The counting is cheap (the seq is cut out of the JSON text, nothing else is
 * parsed), on one thread of its own.
 */
final class LiveChannelCounter implements AutoCloseable {
  private final Resp redis;
  private final Thread thread;
  private final BitSet seen = new BitSet();
  private long messages;
  private long duplicates;
  private long unreadable;
  private volatile long lastArrivalNanos;
  private volatile boolean closed;

  LiveChannelCounter(String redisUrl, String channel) throws IOException {
    this.redis = Resp.connect(redisUrl);
    redis.send("SUBSCRIBE", channel);
    Object confirmation = redis.read();
    if (!(confirmation instanceof List<?> l) || !"subscribe".equals(l.get(0))) {
      redis.close();
      throw new IOException("SUBSCRIBE " + channel + " answered " + confirmation);
    }
    this.thread = new Thread(this::loop, "bench-live-channel");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    try {
      while (!closed) {
        Object reply = redis.read();
        if (reply instanceof List<?> m && m.size() == 3 && "message".equals(m.get(0))) {
          count(String.valueOf(m.get(2)));
        }
      }
    } catch (IOException e) {
      // closed
    }
  }

  private synchronized void count(String json) {
    messages++;
    lastArrivalNanos = System.nanoTime();
    int at = json.indexOf("\"seq\":");
    if (at < 0) {
      unreadable++;
      return;
    }
    int i = at + 6;
    long seq = 0;
    while (i < json.length() && Character.isDigit(json.charAt(i))) {
      seq = seq * 10 + (json.charAt(i++) - '0');
    }
    if (seq <= 0 || seq > Integer.MAX_VALUE) {
      unreadable++;
      return;
    }
    if (seen.get((int) seq)) {
      duplicates++;
    } else {
      seen.set((int) seq);
    }
  }

  synchronized long messages() {
    return messages;
  }

  synchronized long distinct() {
    return seen.cardinality();
  }

  synchronized long duplicates() {
    return duplicates;
  }

  synchronized long unreadable() {
    return unreadable;
  }

  long lastArrivalNanos() {
    return lastArrivalNanos;
  }

  /**
   * Waits until {@code expected} distinct lines arrived, or nothing arrived for {@code quietMs}.
   */
  void awaitSettled(long expected, long quietMs) throws InterruptedException {
    long idleSince = System.nanoTime();
    long last = -1;
    while (distinct() < expected) {
      long now = messages();
      if (now != last) {
        last = now;
        idleSince = System.nanoTime();
      } else if ((System.nanoTime() - idleSince) / 1_000_000 > quietMs) {
        return;
      }
      Thread.sleep(50);
    }
  }

  @Override
  public void close() {
    closed = true;
    redis.close();
  }
}
