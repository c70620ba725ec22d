package io.nightshift.web.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One Logback line per request on logger {@code nightshift.access}: method, path, status, time. */
public final class AccessLog implements Handler<RoutingContext> {
  private static final Logger log = LoggerFactory.getLogger("nightshift.access");

  @Override
  public void handle(RoutingContext ctx) {
    long start = System.nanoTime();
    ctx.addBodyEndHandler(
        v -> {
          if (log.isInfoEnabled()) {
            Object principal = ctx.get(Call.PRINCIPAL);
            log.info(
                "{} {} {} {} {}ms {}",
                ctx.request().remoteAddress() == null ? "-" : ctx.request().remoteAddress().host(),
                ctx.request().method(),
                ctx.request().path(),
                ctx.response().getStatusCode(),
                (System.nanoTime() - start) / 1_000_000,
                principal == null
                    ? "-"
                    : ((io.nightshift.scheduler.auth.Principal) principal).name());
          }
        });
    ctx.next();
  }
}
