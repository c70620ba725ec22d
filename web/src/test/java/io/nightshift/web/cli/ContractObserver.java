package io.nightshift.web.cli;

import io.nightshift.web.ApiContract;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Holds every answer the CLI receives to the OpenAPI document ({@link ApiContract}); what does not
 * match is kept (the CLI would turn a thrown error into an exit status) for the test to fail on.
 */
final class ContractObserver implements Api.Observer {
  private final List<String> violations = new ArrayList<>();

  @Override
  public void answer(HttpResponse<String> response) {
    record(() -> ApiContract.get().check(response));
  }

  @Override
  public void streamHead(HttpResponse<?> response, String errorBody) {
    URI uri = response.request().uri();
    String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    String type = response.headers().firstValue("Content-Type").orElse(null);
    if (errorBody == null) {
      record(() -> ApiContract.get().checkStreamHead(path, response.statusCode(), type));
    } else {
      record(() -> ApiContract.get().check("GET", path, response.statusCode(), type, errorBody));
    }
  }

  @Override
  public void event(String type, String data) {
    record(() -> ApiContract.get().checkEvent(type, data));
  }

  /** What did not match since the last call, and forgets it. */
  synchronized List<String> takeViolations() {
    List<String> out = List.copyOf(violations);
    violations.clear();
    return out;
  }

  private synchronized void record(Runnable check) {
    try {
      check.run();
    } catch (AssertionError e) {
      violations.add(e.getMessage());
    }
  }
}
