package io.nightshift.web.http;

import io.nightshift.scheduler.error.Invalid;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * What a request must look like before its handler runs (the query parameters it may carry, no
 * body): checked on the event loop by {@link Endpoints} after the caller's permission, so that a
 * caller without the permission learns nothing but 403 however the request looks.
 */
public interface Precondition {
  /**
   * Throws {@link Invalid} naming each problem of the request.
   *
   * @throws Invalid when the request is not what the route takes
   */
  void check(RoutingContext ctx);

  /**
   * This check as a route handler of its own, for routes that check their permission themselves
   * (streams every authenticated caller may read).
   */
  default Handler<RoutingContext> handler() {
    return ctx -> {
      try {
        check(ctx);
      } catch (Invalid e) {
        ctx.fail(e);
        return;
      }
      ctx.next();
    };
  }
}
