package io.nightshift.web.http;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.auth.Permission;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.logs.LogBus;
import io.nightshift.scheduler.logs.LogCursor;
import io.nightshift.scheduler.logs.LogStore;
import io.nightshift.scheduler.logs.LogTailStore;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.store.Page;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** A run's stored output, paged, as plain text, and the live stream (Server-Sent Events). */
public final class LogRoutes {
  /** Threads that read the store for live streams, apart from the API's worker pool. */
  private static final int STREAM_READERS = 4;

  /**
   * Bytes of frames of full pages kept for streams that replay the same lines a little later (the
   * followers of one busy run move through its stored lines at about the same pace).
   */
  private static final long KEPT_FRAME_BYTES = 16L * 1024 * 1024;

  /** What a live stream reads from, and what it shares with the other streams. */
  record Sources(
      RunRepository runs,
      LogStore store,
      LogBus bus,
      StreamReads reads,
      LogFrames frames,
      OpenStreams streams) {}

  private final Vertx vertx;
  private final Endpoints endpoints;
  private final RunRepository runs;
  private final LogStore store;
  private final LogTailStore tail;
  private final Sources sources;

  public LogRoutes(
      Vertx vertx,
      Endpoints endpoints,
      RunRepository runs,
      LogStore store,
      LogBus bus,
      OpenStreams streams) {
    this.vertx = vertx;
    this.endpoints = endpoints;
    this.runs = runs;
    this.store = store;
    this.tail = new LogTailStore(store);
    LogFrames frames = new LogFrames();
    WorkerExecutor pool =
        vertx.createSharedWorkerExecutor("nightshift-log-streams", STREAM_READERS);
    this.sources =
        new Sources(
            runs,
            store,
            bus,
            new StreamReads(pool, store, frames, KEPT_FRAME_BYTES),
            frames,
            streams);
    streams.counting(sources.reads());
  }

  public void mount(Router api) {
    api.get("/runs/:id/logs")
        .handler(
            endpoints.blocking(
                Permission.READ,
                QueryParameters.only("step", "after", "before", "q", "limit"),
                this::page));
    api.get("/runs/:id/logs/stream")
        .handler(QueryParameters.only("after").handler())
        .handler(this::stream);
    api.get("/runs/:id/logs.txt")
        .handler(QueryParameters.only("step").handler())
        .handler(new LogText(vertx, runs, store)::handle);
  }

  private Reply page(Call call) {
    long runId = RunRoutes.runId(call);
    Run run = runs.get(runId);
    int limit = call.intQuery("limit", 1000, 1, LogStore.MAX_PAGE);
    String step = call.query("step");
    if (step != null
        && run.template().step(step).isEmpty()
        && run.attempts().stream().noneMatch(a -> a.name().equals(step))) {
      throw new NotFound("step", step);
    }
    String before = call.query("before");
    if (before == null) {
      return Reply.ok(json(store.page(runId, step, call.query("after"), call.query("q"), limit)));
    }
    if (call.query("after") != null || call.query("q") != null) {
      throw Invalid.of("before", "reads back from a line: it cannot be combined with after or q");
    }
    Page<LogLine> page = tail.before(runId, step, before.equals("end") ? null : before, limit);
    List<LogLine> items = page.items();
    // Where the page ends, to read on forward (or follow the stream) from there.
    String last = items.isEmpty() ? null : LogCursor.of(items.get(items.size() - 1));
    return Reply.ok(json(page).put("last", last));
  }

  private static JsonObject json(Page<LogLine> page) {
    JsonArray items = new JsonArray();
    page.items().forEach(l -> items.add(l.toJson()));
    return new JsonObject().put("items", items).put("next", page.next());
  }

  private void stream(RoutingContext ctx) {
    Call call = new Call(ctx);
    try {
      call.principal().require(Permission.READ);
      long runId = RunRoutes.runId(call);
      String after = call.query("after");
      if (after == null) {
        after = ctx.request().getHeader("Last-Event-ID");
      }
      LogCursor resume = after == null || after.isBlank() ? null : LogCursor.decode(after.trim());
      new LogStream(vertx, ctx, runId, sources, call.principal().name(), resume).start();
    } catch (RuntimeException e) {
      ctx.fail(e);
    }
  }
}
