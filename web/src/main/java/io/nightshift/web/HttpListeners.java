package io.nightshift.web;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP server on several event loops: one server instance per loop, all on one port, and Vert.x
 * hands new connections to them in turn. With a single loop, every API request waited behind the
 * writes of every open log stream (200 followers of a busy run made {@code GET /runs/1} take
 * seconds); spread over loops, a request waits only for the streams that share its loop, and an
 * idle loop is scheduled at once when a request arrives.
 */
final class HttpListeners {
  private final List<HttpServer> servers;

  private HttpListeners(List<HttpServer> servers) {
    this.servers = List.copyOf(servers);
  }

  /**
   * Starts {@code loops} server instances, each deployed on its own event loop; blocks until all
   * listen, all on the configured port (0: one port the system picks).
   */
  static HttpListeners listen(
      Vertx vertx,
      HttpServerOptions options,
      Handler<HttpConnection> connections,
      Router router,
      int loops) {
    List<HttpServer> servers = new ArrayList<>();
    // Vert.x binds a port once and shares it between servers asking for the same one; port 0
    // would give each its own, a negative port gives them one random port to share.
    HttpServerOptions own = new HttpServerOptions(options);
    if (own.getPort() == 0) {
      own.setPort(-1);
    }
    for (int i = 0; i < loops; i++) {
      Promise<HttpServer> started = Promise.promise();
      vertx
          .deployVerticle(
              new AbstractVerticle() {
                @Override
                public void start(Promise<Void> done) {
                  vertx
                      .createHttpServer(own)
                      .connectionHandler(connections)
                      .requestHandler(router)
                      .listen()
                      .onSuccess(started::complete)
                      .onFailure(started::fail)
                      .<Void>mapEmpty()
                      .onComplete(done);
                }
              })
          .compose(id -> started.future())
          .onSuccess(servers::add)
          .await();
    }
    return new HttpListeners(servers);
  }

  int actualPort() {
    return servers.get(0).actualPort();
  }

  /** How many event loops serve HTTP. */
  int loops() {
    return servers.size();
  }

  /** Stops taking connections and lets the requests in flight finish, on every loop. */
  Future<Void> shutdown() {
    return Future.all(servers.stream().map(HttpServer::shutdown).toList()).mapEmpty();
  }
}
