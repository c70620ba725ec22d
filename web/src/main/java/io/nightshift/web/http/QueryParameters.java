package io.nightshift.web.http;

import io.nightshift.scheduler.error.Invalid;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The query parameters a route takes; any other is 400 naming it, as bodies refuse unknown keys (a
 * typo such as {@code stauts=FAILED} must not silently list everything).
 */
public final class QueryParameters implements Precondition {
  private final Set<String> allowed;

  private QueryParameters(Set<String> allowed) {
    this.allowed = new TreeSet<>(allowed);
  }

  /** A route that takes exactly these parameters. */
  public static QueryParameters only(String... names) {
    return new QueryParameters(Set.of(names));
  }

  /** A route that takes no query parameter. */
  public static QueryParameters none() {
    return only();
  }

  @Override
  public void check(RoutingContext ctx) {
    List<Invalid.Problem> problems = new ArrayList<>();
    for (String name : new TreeSet<>(ctx.queryParams().names())) {
      if (!allowed.contains(name)) {
        problems.add(
            new Invalid.Problem(
                name,
                "unknown query parameter; "
                    + (allowed.isEmpty()
                        ? "this endpoint takes none"
                        : "this endpoint takes " + String.join(", ", allowed))));
      }
    }
    if (!problems.isEmpty()) {
      throw new Invalid(problems);
    }
  }
}
