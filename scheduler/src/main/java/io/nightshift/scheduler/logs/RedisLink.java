package io.nightshift.scheduler.logs;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * One Redis connection driven from a plain (blocking) thread: every call runs on the connection's
 * own Vert.x context and the calling thread waits for the answer, at most {@code timeout}. A
 * failure or timeout drops the connection; the next call connects again. Not for event loops.
 */
final class RedisLink implements AutoCloseable {
  private final Vertx vertx;
  private final RedisOptions options;
  private final Context context;
  private Redis client;
  private final Duration timeout;
  private RedisConnection connection;
  private volatile boolean closed;

  RedisLink(Vertx vertx, RedisOptions options, Duration timeout) {
    this.vertx = vertx;
    this.options = new RedisOptions(options).setMaxPoolSize(1);
    this.client = Redis.createClient(vertx, this.options);
    // A context of its own: the connection's handlers and our calls all run on its event loop.
    this.context = vertx.getOrCreateContext();
    this.timeout = timeout;
  }

  Response send(Request request) throws RedisDown, InterruptedException {
    return call(conn -> conn.send(request), timeout);
  }

  /** Sends like {@link #send} but allows {@code extra} on top of the timeout (blocking reads). */
  Response send(Request request, Duration extra) throws RedisDown, InterruptedException {
    return call(conn -> conn.send(request), timeout.plus(extra));
  }

  /** One pipeline: all requests written at once, answers in order. */
  List<Response> batch(List<Request> requests) throws RedisDown, InterruptedException {
    return call(conn -> conn.batch(requests), timeout);
  }

  private <T> T call(Function<RedisConnection, Future<T>> command, Duration limit)
      throws RedisDown, InterruptedException {
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> connected().compose(command::apply).onComplete(promise));
    try {
      return promise
          .future()
          .toCompletionStage()
          .toCompletableFuture()
          .get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (RedisDown.isReply(cause)) {
        // Redis answered with an error: the connection is fine.
        throw new RedisDown(firstLine(cause.getMessage()), cause, true);
      }
      // The socket is gone; the pool evicts it by itself.
      disconnect(false);
      throw new RedisDown(firstLine(String.valueOf(cause.getMessage())), cause, false);
    } catch (TimeoutException e) {
      disconnect(true);
      throw new RedisDown("no answer within " + limit.toMillis() + " ms", e, false);
    }
  }

  /** A failed pipeline lists every command's error, one per line: keep the first. */
  private static String firstLine(String message) {
    int end = message.indexOf('\n');
    return end < 0 ? message : message.substring(0, end) + " (...)";
  }

  /** Runs on the context. */
  private Future<RedisConnection> connected() {
    if (connection != null) {
      return Future.succeededFuture(connection);
    }
    if (closed) {
      return Future.failedFuture("closed");
    }
    return client
        .connect()
        .map(
            conn -> {
              connection = conn;
              conn.exceptionHandler(e -> drop(conn));
              conn.endHandler(v -> drop(conn));
              return conn;
            });
  }

  private void drop(RedisConnection conn) {
    if (connection == conn) {
      connection = null;
      conn.close();
    }
  }

  /**
   * Drops the connection (from any thread); the next call connects again. After a timeout the whole
   * client is replaced: closing a pooled connection only returns it to the pool, and a connection
   * that timed out may still deliver the late answer, which must never be taken for the next
   * command's.
   */
  void disconnect(boolean replaceClient) {
    context.runOnContext(
        v -> {
          if (connection != null) {
            drop(connection); // back to the pool, which evicts it if its socket is gone
          }
          if (replaceClient || closed) {
            client.close();
            if (!closed) {
              client = Redis.createClient(vertx, options);
            }
          }
        });
  }

  @Override
  public void close() {
    closed = true;
    disconnect(true);
  }

  /** Redis could not be reached or answered an error ({@link #reply()} true). */
  static final class RedisDown extends Exception {
    private final boolean reply;

    RedisDown(String message, Throwable cause, boolean reply) {
      super(message, cause);
      this.reply = reply;
    }

    /** True when Redis answered with an error (such as NOGROUP), false when unreachable. */
    boolean reply() {
      return reply;
    }

    boolean startsWith(String code) {
      return reply && getMessage() != null && getMessage().startsWith(code);
    }

    static boolean isReply(Throwable t) {
      // The client reports a lost connection as an error reply too: CONNECTION_CLOSED.
      return t instanceof Response
          && t.getMessage() != null
          && !t.getMessage().startsWith("CONNECTION_CLOSED");
    }
  }
}
