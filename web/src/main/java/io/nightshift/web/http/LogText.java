package io.nightshift.web.http;

import io.nightshift.executor.Instants;
import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.auth.Permission;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.logs.LogStore;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.store.Page;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * {@code GET /runs/{id}/logs.txt[?step=NAME]}: a run's stored output as plain text for people, one
 * line per output line ({@code <ts> <step>#<attempt> <stream>| <text>}), streamed page by page from
 * the store with back-pressure, so a run of millions of lines never sits in memory.
 */
final class LogText {
  private static final int PAGE = 2000;

  private final Vertx vertx;
  private final RunRepository runs;
  private final LogStore store;

  LogText(Vertx vertx, RunRepository runs, LogStore store) {
    this.vertx = vertx;
    this.runs = runs;
    this.store = store;
  }

  void handle(RoutingContext ctx) {
    Call call = new Call(ctx);
    long runId;
    String step = call.query("step");
    try {
      call.principal().require(Permission.READ);
      runId = RunRoutes.runId(call);
    } catch (RuntimeException e) {
      ctx.fail(e);
      return;
    }
    vertx
        .executeBlocking(
            () -> {
              Run run = runs.get(runId);
              if (step != null && run.attempts().stream().noneMatch(a -> a.name().equals(step))) {
                throw new NotFound("step of run " + runId, step);
              }
              return store.page(runId, step, null, PAGE);
            },
            false)
        .onSuccess(
            first -> {
              HttpServerResponse response = ctx.response();
              String file = "run-" + runId + (step == null ? "" : "-" + safe(step)) + ".log";
              response
                  .setChunked(true)
                  .putHeader("Content-Type", "text/plain; charset=utf-8")
                  .putHeader("Content-Disposition", "attachment; filename=\"" + file + "\"");
              write(response, runId, step, first);
            })
        .onFailure(ctx::fail);
  }

  /** Writes a page, then fetches the next one once the response can take more. */
  private void write(HttpServerResponse response, long runId, String step, Page<LogLine> page) {
    if (response.closed()) {
      return;
    }
    Buffer text = Buffer.buffer(page.items().size() * 80);
    for (LogLine line : page.items()) {
      text.appendString(format(line));
    }
    if (page.next() == null) {
      response.end(text);
      return;
    }
    response.write(text);
    Runnable next =
        () ->
            vertx
                .executeBlocking(() -> store.page(runId, step, page.next(), PAGE), false)
                .onSuccess(p -> write(response, runId, step, p))
                .onFailure(e -> response.reset());
    if (response.writeQueueFull()) {
      response.drainHandler(v -> next.run());
    } else {
      next.run();
    }
  }

  static String format(LogLine line) {
    return Instants.format(line.ts())
        + " "
        + line.step()
        + "#"
        + line.attempt()
        + " "
        + line.stream()
        + "| "
        + line.line()
        + "\n";
  }

  private static String safe(String step) {
    return step.replaceAll("[^A-Za-z0-9._-]", "_");
  }
}
