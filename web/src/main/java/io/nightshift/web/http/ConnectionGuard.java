package io.nightshift.web.http;

import io.netty.channel.Channel;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a client may hold of the HTTP server (slowloris protection): at most {@code maxConnections}
 * connections (one more is closed at once), a request head within {@code headerTimeout} of the
 * connection opening or of the previous answer's end, a request body within {@code bodyTimeout} of
 * its head (else 408 and the connection closes), and no connection silent for longer than {@code
 * idleTimeout}. The head and body clocks are kept per connection by a {@link SlowRequestTimer} in
 * its channel pipeline.
 */
public final class ConnectionGuard implements Handler<HttpConnection> {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);

  private final Duration headerTimeout;
  private final Duration bodyTimeout;
  private final Duration idleTimeout;
  private final int maxConnections;
  private final AtomicInteger open = new AtomicInteger();

  public ConnectionGuard(
      Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout, int maxConnections) {
    this.headerTimeout = headerTimeout;
    this.bodyTimeout = bodyTimeout;
    this.idleTimeout = idleTimeout;
    this.maxConnections = maxConnections;
  }

  /**
   * The server options with the idle timeout set (Vert.x closes silent connections itself) and
   * HTTP/1 only: with cleartext HTTP/2 on, Vert.x holds a connection's first bytes until it can
   * tell the protocol, before any handler sees the connection, so a client sending 20 bytes would
   * escape the head timeout.
   */
  public HttpServerOptions applyTo(HttpServerOptions options) {
    return options
        .setHttp2ClearTextEnabled(false)
        .setIdleTimeout((int) idleTimeout.toMillis())
        .setIdleTimeoutUnit(java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** Connections open now (accepted and not yet closed). */
  public int open() {
    return open.get();
  }

  @Override
  public void handle(HttpConnection connection) {
    if (open.incrementAndGet() > maxConnections) {
      open.decrementAndGet();
      log.warn(
          "connection from {} closed: {} connections are open (http.maxConnections)",
          connection.remoteAddress(),
          maxConnections);
      connection.close();
      return;
    }
    Channel channel = channelOf(connection);
    if (channel == null) {
      // Not an HTTP/1 connection over Netty as expected: count it, timers do not apply.
      connection.closeHandler(v -> open.decrementAndGet());
      return;
    }
    channel.closeFuture().addListener(f -> open.decrementAndGet());
    if (channel.pipeline().get("handler") != null) {
      channel
          .pipeline()
          .addBefore(
              "handler",
              "nightshift-slow-requests",
              new SlowRequestTimer(headerTimeout, bodyTimeout));
    }
  }

  private static Channel channelOf(HttpConnection connection) {
    return connection instanceof io.vertx.core.net.impl.ConnectionBase base ? base.channel() : null;
  }
}
