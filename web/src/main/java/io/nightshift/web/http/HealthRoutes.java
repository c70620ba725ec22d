package io.nightshift.web.http;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nightshift.scheduler.health.ReadinessCheck;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code /health} (the process answers), {@code /ready} (its dependencies answer), {@code
 * /metrics}.
 */
public final class HealthRoutes {
  private final List<ReadinessCheck> checks;
  private final PrometheusMeterRegistry registry;

  public HealthRoutes(List<ReadinessCheck> checks, PrometheusMeterRegistry registry) {
    this.checks = List.copyOf(checks);
    this.registry = registry;
  }

  public void mount(Router router) {
    router.get("/health").handler(this::health);
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(this::metrics);
  }

  private void health(RoutingContext ctx) {
    Failures.send(ctx, 200, new JsonObject().put("status", "up"));
  }

  private void ready(RoutingContext ctx) {
    List<Future<Void>> results = new ArrayList<>();
    checks.forEach(c -> results.add(c.check()));
    Future.join(results)
        .onComplete(
            all -> {
              JsonObject report = new JsonObject();
              JsonObject details = new JsonObject();
              List<String> down = new ArrayList<>();
              for (int i = 0; i < checks.size(); i++) {
                Future<Void> result = results.get(i);
                String name = checks.get(i).name();
                String detail = checks.get(i).detail();
                if (detail != null) {
                  details.put(name, detail);
                }
                if (result.succeeded()) {
                  report.put(name, "up");
                } else {
                  String reason = String.valueOf(result.cause().getMessage());
                  report.put(name, "down: " + reason);
                  down.add(name + " (" + reason + ")");
                }
              }
              JsonObject body = new JsonObject().put("checks", report).put("details", details);
              if (down.isEmpty()) {
                Failures.send(ctx, 200, body.put("status", "ready"));
              } else {
                body.put("status", "not_ready")
                    .put(
                        "error",
                        new JsonObject()
                            .put("code", "not_ready")
                            .put("message", "down: " + String.join(", ", down)));
                Failures.send(ctx, 503, body);
              }
            });
  }

  private void metrics(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(registry.scrape());
  }
}
