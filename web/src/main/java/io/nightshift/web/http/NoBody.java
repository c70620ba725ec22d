package io.nightshift.web.http;

import io.nightshift.scheduler.error.Invalid;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A route that takes no request body (cancel, pause, resume, drain, deletes): an empty body or
 * {@code {}} passes (the console sends {@code {}}, the CLI nothing); anything else is 400 naming
 * it, as bodies refuse unknown keys elsewhere. A drain sent {@code {"graceSeconds": 1}} must not
 * drain with the configured grace while the operator believes it is 1 s.
 */
public final class NoBody implements Precondition {
  public static final NoBody CHECK = new NoBody();

  private NoBody() {}

  @Override
  public void check(RoutingContext ctx) {
    JsonObject body = new Call(ctx).bodyOrEmpty();
    List<Invalid.Problem> problems = new ArrayList<>();
    for (String key : new TreeSet<>(body.fieldNames())) {
      problems.add(new Invalid.Problem(key, "unknown field; this endpoint takes no body"));
    }
    if (!problems.isEmpty()) {
      throw new Invalid(problems);
    }
  }
}
