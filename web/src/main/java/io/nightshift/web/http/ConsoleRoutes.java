package io.nightshift.web.http;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The web console: {@code /} answers the page, {@code /console/*} its modules and styles, all from
 * the classpath folder {@code console/}. Every answer carries a strict Content-Security-Policy
 * (scripts only from this origin, no inline script, no eval, no other host), so text from the API
 * can never turn into code. Vendored files carry their version in the name and are cached for a
 * year; the console's own files are revalidated on every load.
 */
public final class ConsoleRoutes {
  static final String POLICY =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none';"
          + " frame-ancestors 'none'";
  private static final String WEBROOT = "console";
  private static final long YEAR_SECONDS = 365L * 24 * 3600;

  public void mount(Router router) {
    router.get("/").handler(ConsoleRoutes::page);
    router.get("/index.html").handler(ConsoleRoutes::page);
    router
        .get("/console/vendor/*")
        .handler(ConsoleRoutes::secure)
        .handler(
            StaticHandler.create(WEBROOT + "/vendor")
                .setCachingEnabled(true)
                .setMaxAgeSeconds(YEAR_SECONDS)
                .setDirectoryListing(false));
    router
        .get("/console/*")
        .handler(
            ctx -> {
              headers(ctx.response()).putHeader("Cache-Control", "no-cache");
              ctx.next();
            })
        .handler(
            StaticHandler.create(WEBROOT)
                .setCachingEnabled(false)
                .setSendVaryHeader(false)
                .setDirectoryListing(false));
  }

  private static void page(RoutingContext ctx) {
    headers(ctx.response()).putHeader("Cache-Control", "no-cache");
    ctx.response()
        .putHeader("Content-Type", "text/html; charset=utf-8")
        .sendFile(WEBROOT + "/index.html");
  }

  private static void secure(RoutingContext ctx) {
    headers(ctx.response());
    ctx.next();
  }

  private static HttpServerResponse headers(HttpServerResponse response) {
    return response
        .putHeader("Content-Security-Policy", POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer")
        .putHeader("X-Frame-Options", "DENY");
  }
}
