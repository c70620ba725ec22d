package io.nightshift.web;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.Set;

/**
 * Keeps the labels of the HTTP server's meters to known values: a request can carry any method
 * name, so a method the API does not know is counted as {@code other} (anyone could otherwise grow
 * {@code /metrics} without bound with invented methods). Routes are the router's templates (a path
 * that matches none has no route); status codes come from the server.
 */
final class HttpMetricLabels {
  static final String OTHER = "other";
  static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

  private HttpMetricLabels() {}

  static void bound(MeterRegistry registry) {
    for (String key : new String[] {"method", "http_method", "http.method"}) {
      registry
          .config()
          .meterFilter(MeterFilter.replaceTagValues(key, v -> METHODS.contains(v) ? v : OTHER));
    }
  }
}
