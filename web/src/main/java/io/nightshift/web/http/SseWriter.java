package io.nightshift.web.http;

import io.nightshift.executor.LogLine;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;

/**
 * The writing end of one {@link LogStream}: frames are queued and written at the end of the current
 * event-loop task, batched into as few writes as fit, and only while the connection's write queue
 * has room; while it is full, the connection's drain handler writes again. Every queued byte is
 * counted in the stream's memory until it is written. Touched only on the stream's event loop.
 */
final class SseWriter {
  /**
   * Queued frames up to this many bytes go in one write: a write per frame cost the event loop more
   * than the bytes, and with 200 streams it had no time left for the API.
   */
  static final int BATCH_BYTES = 16 * 1024;

  /** Where queued bytes are counted: the stream's share and the node's total. */
  interface Memory {
    void hold(long size);

    void release(long size);
  }

  private record Frame(Buffer data, LogLine line) {}

  private final Context context;
  private final HttpServerResponse response;
  private final Memory memory;
  private final BooleanSupplier ended;
  private final ArrayDeque<Frame> outbox = new ArrayDeque<>();
  private Runnable afterFlush;
  private boolean drainArmed;
  private boolean pumpScheduled;
  private long queuedBytes;
  private LogLine lastWritten;

  SseWriter(Context context, HttpServerResponse response, Memory memory, BooleanSupplier ended) {
    this.context = context;
    this.response = response;
    this.memory = memory;
    this.ended = ended;
  }

  /**
   * How often an idle stream sends a keepalive (and reads its run's status from the store): system
   * property {@code nightshift.streamKeepaliveMs}, read per stream, for tests; 15 s.
   */
  static long keepaliveMs() {
    return Long.getLong("nightshift.streamKeepaliveMs", 15_000);
  }

  /** A comment line that keeps the connection (and proxies on the way) from idling out. */
  void keepalive() {
    enqueue(Buffer.buffer(": keepalive\n\n"), null);
  }

  /** One Server-Sent Event: {@code event: type} and the data as one line of JSON. */
  static Buffer event(String type, io.vertx.core.json.JsonObject data) {
    return Buffer.buffer("event: " + type + "\ndata: " + data.encode() + "\n\n");
  }

  /** Writes the event stream's headers, once; {@code closed} runs when the client goes away. */
  void head(Runnable closed) {
    if (response.headWritten()) {
      return;
    }
    response
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache")
        .putHeader("X-Accel-Buffering", "no")
        // How often a keepalive comes: a client that hears nothing for a few takes the connection
        // for broken (a network on the way may forget it without closing anything).
        .putHeader("Nightshift-Keepalive-Ms", String.valueOf(keepaliveMs()));
    response.closeHandler(v -> closed.run());
  }

  /**
   * Writes one last event straight to the connection, past anything queued, and ends the response
   * (the stream has stopped); {@code closed} as for {@link #head}.
   */
  void writeLast(String type, io.vertx.core.json.JsonObject data, Runnable closed) {
    if (!response.ended() && !response.closed()) {
      head(closed);
      response.write(event(type, data));
      response.end();
    }
  }

  /**
   * Queues a frame ({@code line}: the log line it carries, or null); what is queued is written at
   * the end of the current event-loop task, in as few writes as fit (a page of replayed lines is
   * one write, not 200).
   */
  void enqueue(Buffer data, LogLine line) {
    if (ended.getAsBoolean()) {
      return;
    }
    memory.hold(data.length());
    outbox.add(new Frame(data, line));
    queuedBytes += data.length();
    if (!pumpScheduled) {
      pumpScheduled = true;
      context.runOnContext(
          v -> {
            pumpScheduled = false;
            pump();
          });
    }
  }

  /** Runs {@code next} once everything queued has been written (at once if nothing is). */
  void whenFlushed(Runnable next) {
    afterFlush = next;
    pump();
  }

  /** Writes now once a batch's worth is queued, instead of at the end of the task. */
  void writeIfBatchFull() {
    if (queuedBytes >= BATCH_BYTES) {
      write();
    }
  }

  /** The connection's write queue is full: the client is not reading. */
  boolean full() {
    return response.writeQueueFull();
  }

  /** The last log line written to the connection, or null. */
  LogLine lastWritten() {
    return lastWritten;
  }

  /** Drops what is queued (the stream stopped), releasing its memory. */
  void discard() {
    outbox.forEach(f -> memory.release(f.data().length()));
    outbox.clear();
    queuedBytes = 0;
    afterFlush = null;
  }

  /** Writes queued frames while the connection has room; then runs what waited for a flush. */
  private void pump() {
    if (!write()) {
      return;
    }
    Runnable next = afterFlush;
    if (next != null) {
      afterFlush = null;
      next.run();
    }
  }

  /**
   * Writes queued frames while the connection has room; true when all went, else the connection's
   * drain handler pumps again.
   */
  private boolean write() {
    if (ended.getAsBoolean() || response.closed()) {
      return false;
    }
    while (!outbox.isEmpty() && !response.writeQueueFull()) {
      response.write(batch());
    }
    if (!outbox.isEmpty() || response.writeQueueFull()) {
      if (!drainArmed) {
        drainArmed = true;
        response.drainHandler(
            v -> {
              drainArmed = false;
              pump();
            });
      }
      return false;
    }
    return true;
  }

  /** Takes queued frames up to {@link #BATCH_BYTES} (at least one) for one write. */
  private Buffer batch() {
    Frame first = outbox.poll();
    took(first);
    if (outbox.isEmpty() || first.data().length() >= BATCH_BYTES) {
      return first.data();
    }
    Buffer batch = Buffer.buffer(BATCH_BYTES).appendBuffer(first.data());
    while (!outbox.isEmpty() && batch.length() + outbox.peek().data().length() <= BATCH_BYTES) {
      Frame next = outbox.poll();
      took(next);
      batch.appendBuffer(next.data());
    }
    return batch;
  }

  private void took(Frame frame) {
    memory.release(frame.data().length());
    queuedBytes -= frame.data().length();
    if (frame.line() != null) {
      lastWritten = frame.line();
    }
  }
}
