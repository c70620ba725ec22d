package io.nightshift.web.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;

/**
 * HEAD is answered as GET is, without the body (the HTTP server leaves it out and keeps the
 * headers): a load balancer's {@code HEAD /health} check, or {@code curl -I}, got 405 before. Not
 * for a live log stream, which would never end.
 */
public final class HeadRequests implements Handler<RoutingContext> {
  @Override
  public void handle(RoutingContext ctx) {
    if (ctx.request().method() != HttpMethod.HEAD) {
      ctx.next();
      return;
    }
    String path = ctx.normalizedPath();
    if (path.replaceAll("/+$", "").endsWith("/stream")) {
      ctx.next(); // 405
      return;
    }
    String query = ctx.request().query();
    ctx.reroute(HttpMethod.GET, query == null ? path : path + "?" + query);
  }
}
