package io.nightshift.web.http;

import io.nightshift.scheduler.auth.Permission;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Function;

/**
 * Turns a blocking handler (jOOQ, JDBC) into a route handler: checks the permission, then what the
 * request must look like ({@link Precondition}), runs it on a worker thread, then answers on the
 * event loop. Failures go to {@link Failures}.
 */
public final class Endpoints {
  private final Vertx vertx;

  public Endpoints(Vertx vertx) {
    this.vertx = vertx;
  }

  public Handler<RoutingContext> blocking(Permission permission, Function<Call, Reply> handler) {
    return blocking(permission, ctx -> {}, handler);
  }

  /**
   * Like {@link #blocking(Permission, Function)}, with {@code precondition} checked after the
   * permission: a caller without it is answered 403 whatever the request looks like.
   */
  public Handler<RoutingContext> blocking(
      Permission permission, Precondition precondition, Function<Call, Reply> handler) {
    return ctx -> {
      Call call = new Call(ctx);
      try {
        call.principal().require(permission);
        precondition.check(ctx);
      } catch (RuntimeException e) {
        ctx.fail(e);
        return;
      }
      vertx
          .executeBlocking(() -> handler.apply(call), false)
          .onSuccess(reply -> send(ctx, reply))
          .onFailure(ctx::fail);
    };
  }

  static void send(RoutingContext ctx, Reply reply) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(reply.status());
    reply.headers().forEach((name, value) -> ctx.response().putHeader(name, value));
    if (reply.location() != null) {
      ctx.response().putHeader("Location", reply.location());
    }
    if (reply.body() == null) {
      ctx.response().end();
    } else {
      ctx.response()
          .putHeader("Content-Type", "application/json; charset=utf-8")
          .end(reply.body().encode());
    }
  }
}
