package io.nightshift.web.http;

import io.nightshift.scheduler.auth.Tokens;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;

/** Reads {@code Authorization: Bearer <token>} and puts the caller on the context, or fails 401. */
public final class Authentication implements Handler<RoutingContext> {
  private final Vertx vertx;
  private final Tokens tokens;

  public Authentication(Vertx vertx, Tokens tokens) {
    this.vertx = vertx;
    this.tokens = tokens;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    String secret = null;
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      secret = header.substring(7).trim();
    }
    String token = secret;
    vertx
        .executeBlocking(() -> tokens.authenticate(token), false)
        .onSuccess(
            principal -> {
              ctx.put(Call.PRINCIPAL, principal);
              ctx.next();
            })
        .onFailure(ctx::fail);
  }
}
