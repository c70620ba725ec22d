package io.nightshift.web.http;

import io.nightshift.scheduler.error.Invalid;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * A route that takes no request body (cancel, pause, resume, drain, deletes): an empty body or
 * {@code {}} passes (the console sends {@code {}}, the CLI nothing); anything else is 400 naming
 * it, as bodies refuse unknown keys elsewhere. A drain sent {@code {"graceSeconds": 1}} must not
 * drain with the configured grace while the operator believes it is 1 s. Mount it before the
 * route's handler.
 */
public final class NoBody implements Handler<RoutingContext> {

  @Override
  public void handle(RoutingContext ctx) {
    JsonObject body;
    try {
      body = new Call(ctx).bodyOrEmpty();
    } catch (Invalid e) {
      ctx.fail(e);
      return;
    }
    List<Invalid.Problem> problems = new ArrayList<>();
    for (String key : new TreeSet<>(body.fieldNames())) {
      problems.add(new Invalid.Problem(key, "unknown field; this endpoint takes no body"));
    }
    if (problems.isEmpty()) {
      ctx.next();
    } else {
      ctx.fail(new Invalid(problems));
    }
  }
}
