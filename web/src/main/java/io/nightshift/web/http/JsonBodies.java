package io.nightshift.web.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * API bodies are JSON whatever type the client declared: {@code curl -d} sends JSON as a form, and
 * a form-typed body would otherwise be parsed as form fields (a 500 past ~1 KB). The form type is
 * dropped before the body handler sees it, so the body is read as it came; multipart bodies get 415
 * before anything of them is parsed.
 */
public final class JsonBodies implements Handler<RoutingContext> {

  @Override
  public void handle(RoutingContext ctx) {
    String type = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (type != null) {
      String lower = type.toLowerCase(Locale.ROOT).trim();
      if (lower.startsWith("multipart/")) {
        ctx.fail(415);
        return;
      }
      if (lower.startsWith("application/x-www-form-urlencoded")) {
        ctx.request().headers().remove(HttpHeaders.CONTENT_TYPE);
      }
    }
    ctx.next();
  }
}
