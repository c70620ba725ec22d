package io.nightshift.web.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The API's own description, readable without a token: the OpenAPI document ({@code
 * /api/v1/openapi.yaml}) and a reference page made from it ({@code /api/reference/}, swagger-ui
 * vendored in the jar: no CDN).
 */
public final class ApiDocRoutes {
  static final String DOCUMENT = "api/openapi.yaml";

  private final Buffer document;

  public ApiDocRoutes() {
    this.document = Buffer.buffer(resource(DOCUMENT));
  }

  /** Mount on the root router, before the authenticated API. */
  public void mount(Router router) {
    router
        .get("/api/v1/openapi.yaml")
        .handler(
            ctx ->
                ctx.response()
                    .putHeader("Content-Type", "application/yaml; charset=utf-8")
                    .putHeader("Cache-Control", "no-cache")
                    .end(document));
    // Routes without a method: pages, not API operations (the document lists operations only).
    router
        .route("/api/reference/*")
        .handler(StaticHandler.create("api/reference").setCachingEnabled(true));
  }

  static byte[] resource(String name) {
    try (InputStream in = ApiDocRoutes.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
