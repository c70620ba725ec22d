package io.nightshift.scheduler.logs;

import java.time.Duration;
import java.util.Objects;

/**
 * Key names, batch sizes and bounds of the log pipeline. {@link #defaults(String)} gives the
 * design's names ({@code nightshift:logs}, {@code nightshift:log:{runId}}, {@code
 * nightshift:events}, group {@code persist}); tests use {@link #withKeyPrefix(String)} to get keys
 * of their own.
 *
 * @param stream the stream the subscriber persists from
 * @param channelPrefix live channel of a run is {@code channelPrefix + runId}
 * @param eventsChannel run and step status events
 * @param group consumer group of the subscribers
 * @param node this node's name: the consumer name in the group
 * @param batchLines lines per Redis pipeline / XADD entry, and per insert batch in embedded mode
 * @param linger how long the sender waits for a fuller batch when fewer lines are waiting
 * @param bufferLines lines (and events) held in memory before publishers block
 * @param readEntries stream entries per XREADGROUP (each may carry up to batchLines lines): one
 *     insert transaction of the subscriber. The default, 10 entries (up to 10,000 lines in 10
 *     statements of 1,000 rows), is the insert sweet spot measured on MariaDB: one statement per
 *     commit stored 25-50% fewer rows/s, 5 to 20 statements per commit about the same; smaller
 *     batches let the reader's next read overlap the commit sooner
 * @param readBlock XREADGROUP BLOCK time
 * @param claimIdle pending entries idle longer than this are claimed from other (dead) consumers
 * @param retryMin first wait after a failure (Redis or database), doubled up to retryMax
 * @param retryMax longest wait between retries
 * @param redisTimeout how long one Redis command may take before the connection is dropped
 * @param closeTimeout how long close() waits to hand on what is buffered
 */
public record LogSettings(
    String stream,
    String channelPrefix,
    String eventsChannel,
    String group,
    String node,
    int batchLines,
    Duration linger,
    int bufferLines,
    int readEntries,
    Duration readBlock,
    Duration claimIdle,
    Duration retryMin,
    Duration retryMax,
    Duration redisTimeout,
    Duration closeTimeout) {

  public LogSettings {
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(channelPrefix, "channelPrefix");
    Objects.requireNonNull(eventsChannel, "eventsChannel");
    Objects.requireNonNull(group, "group");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(linger, "linger");
    Objects.requireNonNull(readBlock, "readBlock");
    Objects.requireNonNull(claimIdle, "claimIdle");
    Objects.requireNonNull(retryMin, "retryMin");
    Objects.requireNonNull(retryMax, "retryMax");
    Objects.requireNonNull(redisTimeout, "redisTimeout");
    Objects.requireNonNull(closeTimeout, "closeTimeout");
    if (node.isBlank()) {
      throw new IllegalArgumentException("node must not be blank");
    }
    if (batchLines < 1 || batchLines > 1000) {
      // One pipeline holds batchLines PUBLISH + 1 XADD; the client allows 2048 waiting commands.
      throw new IllegalArgumentException("batchLines must be 1..1000, got " + batchLines);
    }
    if (bufferLines < batchLines) {
      throw new IllegalArgumentException(
          "bufferLines must be at least batchLines (" + batchLines + "), got " + bufferLines);
    }
    if (readEntries < 1) {
      throw new IllegalArgumentException("readEntries must be positive, got " + readEntries);
    }
  }

  public static final String DEFAULT_PREFIX = "nightshift";

  /** The design's names and sizes; {@code node} names this process in the consumer group. */
  public static LogSettings defaults(String node) {
    return new LogSettings(
        DEFAULT_PREFIX + ":logs",
        DEFAULT_PREFIX + ":log:",
        DEFAULT_PREFIX + ":events",
        "persist",
        node,
        1000,
        Duration.ofMillis(5),
        2_000_000,
        10,
        Duration.ofSeconds(2),
        Duration.ofSeconds(60),
        Duration.ofMillis(100),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(10));
  }

  /** Same sizes, keys {@code prefix:logs}, {@code prefix:log:{runId}}, {@code prefix:events}. */
  public LogSettings withKeyPrefix(String prefix) {
    return new LogSettings(
        prefix + ":logs",
        prefix + ":log:",
        prefix + ":events",
        group,
        node,
        batchLines,
        linger,
        bufferLines,
        readEntries,
        readBlock,
        claimIdle,
        retryMin,
        retryMax,
        redisTimeout,
        closeTimeout);
  }

  public LogSettings withNode(String otherNode) {
    return new LogSettings(
        stream,
        channelPrefix,
        eventsChannel,
        group,
        otherNode,
        batchLines,
        linger,
        bufferLines,
        readEntries,
        readBlock,
        claimIdle,
        retryMin,
        retryMax,
        redisTimeout,
        closeTimeout);
  }

  public LogSettings withBufferLines(int lines) {
    return new LogSettings(
        stream,
        channelPrefix,
        eventsChannel,
        group,
        node,
        batchLines,
        linger,
        lines,
        readEntries,
        readBlock,
        claimIdle,
        retryMin,
        retryMax,
        redisTimeout,
        closeTimeout);
  }

  /** Faster reactions for tests: short blocks, claims and retries. */
  public LogSettings withTimings(Duration block, Duration idleBeforeClaim, Duration maxRetry) {
    return new LogSettings(
        stream,
        channelPrefix,
        eventsChannel,
        group,
        node,
        batchLines,
        linger,
        bufferLines,
        readEntries,
        block,
        idleBeforeClaim,
        retryMin.compareTo(maxRetry) > 0 ? maxRetry : retryMin,
        maxRetry,
        redisTimeout,
        closeTimeout);
  }

  public LogSettings withCloseTimeout(Duration timeout) {
    return new LogSettings(
        stream,
        channelPrefix,
        eventsChannel,
        group,
        node,
        batchLines,
        linger,
        bufferLines,
        readEntries,
        readBlock,
        claimIdle,
        retryMin,
        retryMax,
        redisTimeout,
        timeout);
  }

  public String channel(long runId) {
    return channelPrefix + runId;
  }
}
