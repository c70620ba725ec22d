package io.nightshift.web.http;

import io.nightshift.scheduler.error.TooMany;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The live log streams open on this node: how many each token holds (capped), the bytes they hold
 * in memory together (capped), and a way to close every stream of a revoked token.
 */
public final class OpenStreams {
  private final int perToken;
  private final long clientBytes;
  private final long totalBytes;
  private final AtomicLong buffered = new AtomicLong();
  private final Map<String, Set<LogStream>> byToken = new ConcurrentHashMap<>();

  public OpenStreams(int perToken, long clientBytes, long totalBytes) {
    this.perToken = perToken;
    this.clientBytes = clientBytes;
    this.totalBytes = totalBytes;
  }

  /** Registers a stream of {@code token}, or {@link TooMany} when the token has its maximum. */
  void open(String token, LogStream stream) {
    byToken.compute(
        token,
        (name, streams) -> {
          Set<LogStream> set = streams == null ? ConcurrentHashMap.newKeySet() : streams;
          if (set.size() >= perToken) {
            throw new TooMany(
                "token '"
                    + name
                    + "' already has "
                    + set.size()
                    + " live log streams open (http.streamsPerToken); close one first");
          }
          set.add(stream);
          return set;
        });
  }

  void closed(String token, LogStream stream) {
    byToken.computeIfPresent(
        token,
        (name, set) -> {
          set.remove(stream);
          return set.isEmpty() ? null : set;
        });
  }

  /** Ends every stream opened with this token (it was revoked). */
  public void revoked(String token) {
    Set<LogStream> streams = byToken.remove(token);
    if (streams != null) {
      streams.forEach(s -> s.endNow("revoked", "the token of this stream was revoked"));
    }
  }

  /** Counts bytes a stream now holds; false when this stream or all together hold too much. */
  boolean hold(long streamBytes, long added) {
    long total = buffered.addAndGet(added);
    return streamBytes <= clientBytes && total <= totalBytes;
  }

  long clientBytes() {
    return clientBytes;
  }

  void release(long bytes) {
    buffered.addAndGet(-bytes);
  }

  private volatile StreamReads reads;

  /** The streams' shared store reads, counted by {@link #storeReads} and {@link #framesEncoded}. */
  void counting(StreamReads reads) {
    this.reads = reads;
  }

  /** Store reads the streams of this node made (one serves every stream needing those lines). */
  public long storeReads() {
    StreamReads r = reads;
    return r == null ? 0 : r.reads();
  }

  /** SSE frames of log lines encoded on this node (one serves every stream sending that line). */
  public long framesEncoded() {
    StreamReads r = reads;
    return r == null ? 0 : r.encoded();
  }

  /** Bytes held by all streams of this node (lines waiting for slow clients). */
  public long bufferedBytes() {
    return buffered.get();
  }

  /** How many streams this token holds open here. */
  public int count(String token) {
    Set<LogStream> set = byToken.get(token);
    return set == null ? 0 : set.size();
  }
}
