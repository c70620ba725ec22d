package io.nightshift.executor;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One HTTP call of a step ({@code http} checks and {@code notify} webhooks). Parameters are already
 * substituted, with the escaping each field needs, by the caller.
 *
 * @param method GET, POST, ... (any token)
 * @param url absolute http or https URL
 * @param headers request headers; restricted ones (Host, Content-Length, ...) fail the call
 * @param body request body sent as UTF-8, or null for none
 * @param expectStatus the status that makes the step succeed; any other fails it. {@link #ANY_2XX}
 *     accepts every 2xx (webhooks answer 200, 202 or 204)
 * @param timeout for the whole call, body included, or null for none
 * @param secrets values masked as {@code ******} in every line
 * @param maxLines cap on the response body lines logged (at most {@link
 *     HttpExecutor#MAX_BODY_LINES})
 * @param maxLineLength lines longer than this many chars are cut and marked
 */
public record HttpSpec(
    String method,
    URI url,
    Map<String, String> headers,
    String body,
    int expectStatus,
    Duration timeout,
    Set<String> secrets,
    long maxLines,
    int maxLineLength) {

  /** Accept any 2xx answer. */
  public static final int ANY_2XX = 0;

  public HttpSpec {
    Objects.requireNonNull(method, "method");
    if (!method.matches("[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*")) {
      throw new IllegalArgumentException("invalid HTTP method: '" + method + "'");
    }
    Objects.requireNonNull(url, "url");
    if (!url.isAbsolute()
        || !("http".equalsIgnoreCase(url.getScheme()) || "https".equalsIgnoreCase(url.getScheme()))
        || url.getHost() == null) {
      throw new IllegalArgumentException("url must be an absolute http(s) URL, got " + url);
    }
    headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
    headers
        .keySet()
        .forEach(
            name -> {
              if (!name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                throw new IllegalArgumentException("invalid header name: '" + name + "'");
              }
            });
    if (expectStatus != ANY_2XX && (expectStatus < 100 || expectStatus > 599)) {
      throw new IllegalArgumentException("expectStatus must be 100..599, got " + expectStatus);
    }
    SpecLimits.checkTimeout(timeout);
    secrets = Set.copyOf(Objects.requireNonNull(secrets, "secrets"));
    SpecLimits.checkLines(maxLines, maxLineLength);
  }

  /** Whether the answer's status makes the step succeed. */
  public boolean accepts(int status) {
    return expectStatus == ANY_2XX ? status >= 200 && status < 300 : status == expectStatus;
  }
}
