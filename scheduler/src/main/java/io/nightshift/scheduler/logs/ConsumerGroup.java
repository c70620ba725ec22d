package io.nightshift.scheduler.logs;

import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's consumer in the log stream's consumer group: creates the group, reads new and own
 * pending entries, claims entries idle in other consumers, and acknowledges stored ones. Reads and
 * acknowledgements go over two Redis connections, so a blocking read never delays an ack.
 */
final class ConsumerGroup implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConsumerGroup.class);

  private final LogSettings settings;
  private final RedisLink link;
  private final RedisLink ackLink; // a blocking read on the reader's link must not delay acks

  /**
   * A page of entries taken over with XAUTOCLAIM, and the cursor of the next page ("0-0": done).
   */
  record Claimed(String next, List<StreamEntry> entries) {}

  ConsumerGroup(Vertx vertx, RedisOptions options, LogSettings settings) {
    this.settings = settings;
    this.link = new RedisLink(vertx, options, settings.redisTimeout());
    this.ackLink = new RedisLink(vertx, options, settings.redisTimeout());
  }

  /** Creates the group at id 0 with MKSTREAM; a group that already exists is fine. */
  void create() throws RedisLink.RedisDown, InterruptedException {
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

  /**
   * Up to {@code readEntries} entries after {@code from} ({@code ">"}: new ones, blocking up to
   * {@code readBlock} when {@code block}; an id: this consumer's pending ones after it).
   */
  List<StreamEntry> read(String from, boolean block)
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
    return StreamEntryDecoder.entriesOfRead(reply, settings.stream());
  }

  /** Takes over entries idle longer than {@code claimIdle} in other consumers, from cursor on. */
  Claimed claim(String cursor) throws RedisLink.RedisDown, InterruptedException {
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
    List<StreamEntry> entries = StreamEntryDecoder.entriesOf(reply.get(1));
    if (!entries.isEmpty()) {
      log.info(
          "claimed {} log stream entries idle for over {} ms from other consumers",
          entries.size(),
          settings.claimIdle().toMillis());
    }
    return new Claimed(reply.get(0).toString(), entries);
  }

  /** The other consumers holding pending entries, with how many each holds (XPENDING's summary). */
  java.util.Map<String, Long> othersPending() throws RedisLink.RedisDown, InterruptedException {
    Response reply =
        link.send(Request.cmd(Command.XPENDING).arg(settings.stream()).arg(settings.group()));
    java.util.Map<String, Long> pending = new java.util.TreeMap<>();
    Response consumers = reply == null || reply.size() < 4 ? null : reply.get(3);
    if (consumers != null) {
      for (Response consumer : consumers) {
        String name = consumer.get(0).toString();
        if (!name.equals(settings.node())) {
          pending.put(name, Long.parseLong(consumer.get(1).toString()));
        }
      }
    }
    return pending;
  }

  /**
   * Takes over up to {@code readEntries} of the entries pending in {@code consumer} for at least
   * {@code minIdle}: its node is gone (XPENDING of that consumer, then XCLAIM; the idle bound
   * spares entries a node judged gone by mistake is storing right now). Entries deleted from the
   * stream meanwhile are dropped from the pending list by Redis 7 (older versions give them back
   * without lines, to be acknowledged).
   */
  List<StreamEntry> takeOver(String consumer, java.time.Duration minIdle)
      throws RedisLink.RedisDown, InterruptedException {
    Response pending =
        link.send(
            Request.cmd(Command.XPENDING)
                .arg(settings.stream())
                .arg(settings.group())
                .arg("IDLE")
                .arg(minIdle.toMillis())
                .arg("-")
                .arg("+")
                .arg(settings.readEntries())
                .arg(consumer));
    if (pending == null || pending.size() == 0) {
      return List.of();
    }
    Request claim =
        Request.cmd(Command.XCLAIM)
            .arg(settings.stream())
            .arg(settings.group())
            .arg(settings.node())
            .arg(minIdle.toMillis());
    for (Response entry : pending) {
      claim.arg(entry.get(0).toString());
    }
    return StreamEntryDecoder.entriesOf(link.send(claim));
  }

  /**
   * XDEL before XACK: if the connection drops between them, the entry is still pending but gone
   * from the stream, and the next pending read sees it empty and acknowledges it. The other order
   * would leave acknowledged entries in the stream forever.
   */
  void acknowledge(List<StreamEntry> entries) throws RedisLink.RedisDown, InterruptedException {
    Request del = Request.cmd(Command.XDEL).arg(settings.stream());
    Request ack = Request.cmd(Command.XACK).arg(settings.stream()).arg(settings.group());
    for (StreamEntry e : entries) {
      del.arg(e.id());
      ack.arg(e.id());
    }
    ackLink.batch(List.of(del, ack));
  }

  /** Drops both connections: a read or an acknowledgement under way fails at once. */
  @Override
  public void close() {
    link.close();
    ackLink.close();
  }
}
