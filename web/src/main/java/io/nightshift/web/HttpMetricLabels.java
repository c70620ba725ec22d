package io.nightshift.web;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Keeps the labels of the HTTP server's meters to known values: a request can carry any method
 * name, so a method the API does not know is counted as {@code other} (anyone could otherwise grow
 * {@code /metrics}, and the registry's memory, without bound with invented methods). The method is
 * folded before a meter is looked up (Vert.x's own method label is replaced by this one), and a
 * registry filter folds whatever else might carry a method. Routes are the router's templates (a
 * path that matches none has no route); status codes come from the server.
 */
final class HttpMetricLabels {
  static final String OTHER = "other";
  static final Set<String> METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");

  private HttpMetricLabels() {}

  /** Vert.x metrics with the server's method label folded to known values. */
  static MicrometerMetricsOptions options() {
    EnumSet<Label> labels = EnumSet.copyOf(MicrometerMetricsOptions.DEFAULT_LABELS);
    labels.remove(Label.HTTP_METHOD);
    String key = Label.HTTP_METHOD.toString();
    return new MicrometerMetricsOptions()
        .setEnabled(true)
        .setLabels(labels)
        .setServerRequestTagsProvider(
            request -> List.of(Tag.of(key, fold(request.method().name()))));
  }

  static void bound(MeterRegistry registry) {
    for (String key : new String[] {"method", "http_method", "http.method"}) {
      registry.config().meterFilter(MeterFilter.replaceTagValues(key, HttpMetricLabels::fold));
    }
  }

  static String fold(String method) {
    return METHODS.contains(method) ? method : OTHER;
  }
}
