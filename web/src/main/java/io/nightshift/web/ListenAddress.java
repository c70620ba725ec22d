package io.nightshift.web;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * The HTTP address a node listens on. It is tried before anything is written (data directory, node
 * id, store, admin token), so that a busy port stops start-up with nothing left behind.
 */
record ListenAddress(String host, int port) {

  static ListenAddress of(io.nightshift.web.config.Config.Http http) {
    return new ListenAddress(http.host(), http.port());
  }

  /**
   * Starts the HTTP server on this address, on {@code loops} event loops, or fails with the
   * one-line {@link #failure}.
   */
  HttpListeners listen(
      io.vertx.core.Vertx vertx,
      io.nightshift.web.http.ConnectionGuard guard,
      io.vertx.ext.web.Router router,
      int loops) {
    try {
      return HttpListeners.listen(
          vertx,
          guard.applyTo(
              new io.vertx.core.http.HttpServerOptions()
                  .setHost(host)
                  .setPort(port)
                  .setCompressionSupported(true)),
          guard,
          router,
          loops);
    } catch (Exception e) {
      // Exception: Future.await() rethrows a checked BindException as is.
      throw failure(e);
    }
  }

  /** Fails with a {@link StartupFailure} when the address cannot be bound now. */
  void ensureFree() {
    if (port == 0) {
      return;
    }
    try (ServerSocket probe = new ServerSocket()) {
      // As the HTTP server binds: a port in TIME_WAIT is free to take.
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw failure(e);
    }
  }

  /** The one-line failure for a bind error: {@code cannot listen on host:port: address in use}. */
  StartupFailure failure(Throwable e) {
    String reason =
        e instanceof BindException && String.valueOf(e.getMessage()).contains("in use")
            ? "address in use"
            : String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    return new StartupFailure("cannot listen on " + host + ":" + port + ": " + reason, e);
  }
}
