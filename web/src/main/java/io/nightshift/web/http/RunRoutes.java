package io.nightshift.web.http;

import io.nightshift.scheduler.auth.Permission;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.notify.WebhookRepository;
import io.nightshift.scheduler.run.Engine;
import io.nightshift.scheduler.run.NewRun;
import io.nightshift.scheduler.run.Params;
import io.nightshift.scheduler.run.RequestKey;
import io.nightshift.scheduler.run.RequestedRuns;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.RunFilter;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.run.Trigger;
import io.nightshift.scheduler.store.Page;
import io.nightshift.scheduler.template.JsonReader;
import io.nightshift.scheduler.template.Names;
import io.nightshift.scheduler.template.StoredTemplate;
import io.nightshift.scheduler.template.TemplateJson;
import io.nightshift.scheduler.template.TemplateRepository;
import io.nightshift.scheduler.template.UnchangedSecrets;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** Ad-hoc runs, run history, cancel and retry. */
public final class RunRoutes {
  private final Endpoints endpoints;
  private final TemplateRepository templates;
  private final RunRepository runs;
  private final Engine engine;
  private final RequestedRuns requested;
  private final WebhookRepository webhooks;

  public RunRoutes(
      Endpoints endpoints,
      TemplateRepository templates,
      RunRepository runs,
      Engine engine,
      RequestedRuns requested,
      WebhookRepository webhooks) {
    this.endpoints = endpoints;
    this.templates = templates;
    this.runs = runs;
    this.engine = engine;
    this.requested = requested;
    this.webhooks = webhooks;
  }

  public void mount(Router api) {
    api.post("/runs").handler(endpoints.blocking(Permission.OPERATE, this::create));
    api.get("/runs")
        .handler(
            endpoints.blocking(
                Permission.READ,
                QueryParameters.only(
                    "job", "template", "status", "since", "until", "before", "limit"),
                this::list));
    api.get("/runs/:id")
        .handler(endpoints.blocking(Permission.READ, QueryParameters.none(), this::get));
    api.post("/runs/:id/cancel")
        .handler(endpoints.blocking(Permission.OPERATE, NoBody.CHECK, this::cancel));
    api.post("/runs/:id/retry").handler(endpoints.blocking(Permission.OPERATE, this::retry));
  }

  private Reply create(Call call) {
    JsonObject body = call.body();
    // A dry run starts nothing: no key to keep.
    RequestKey key =
        Boolean.TRUE.equals(body.getValue("dryRun")) ? null : RequestKeys.of(call, body);
    Optional<Run> earlier = requested.earlier(call.principal().name(), key);
    if (earlier.isPresent()) {
      return started(new RequestedRuns.Started(earlier.get(), true));
    }
    JsonReader in = new JsonReader();
    in.rejectUnknown(body, Set.of("template", "params", "dryRun", "templateVersion"), "");
    String name = in.string(body, "template", "", true);
    if (name != null && !Names.isResourceName(name)) {
      in.problem("template", Names.resourceRule() + ", got '" + name + "'");
    }
    JsonObject params = in.object(body, "params", "");
    boolean dryRun = in.bool(body, "dryRun", "");
    Integer version = in.integer(body, "templateVersion", "", 1, Integer.MAX_VALUE);
    StoredTemplate stored =
        name == null || !Names.isResourceName(name)
            ? null
            : (version == null ? templates.find(name) : templates.find(name, version)).orElse(null);
    if (stored != null) {
      UnchangedSecrets.refuseInRun(stored.template(), params, in, "give the value");
    }
    Map<String, String> values =
        stored == null ? null : Params.resolve(in, stored.template(), Map.of(), params);
    in.throwIfAny();
    if (stored == null) {
      throw new NotFound("template", version == null ? name : name + "@" + version);
    }
    if (dryRun) {
      return Reply.ok(plan(stored, values));
    }
    NewRun run =
        new NewRun(
            stored.template(),
            stored.version(),
            null,
            Trigger.API,
            call.principal().name(),
            values,
            null);
    return started(requested.start(run.withRequest(key), false));
  }

  /** What would run, with which values, without running anything. */
  private static JsonObject plan(StoredTemplate stored, Map<String, String> values) {
    return new JsonObject()
        .put("dryRun", true)
        .put("template", stored.name())
        .put("templateVersion", stored.version())
        .put(
            "params", new JsonObject(new LinkedHashMap<>(Params.masked(stored.template(), values))))
        .put("steps", TemplateJson.toJson(stored.template()).getJsonArray("steps"));
  }

  private Reply list(Call call) {
    java.util.Set<RunStatus> statuses = new java.util.LinkedHashSet<>();
    for (String status : call.queryValues("status")) {
      try {
        statuses.add(RunStatus.valueOf(status.toUpperCase(java.util.Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw Invalid.of(
            "status",
            "must be one or more (comma-separated) of "
                + Arrays.stream(RunStatus.values())
                    .map(Enum::name)
                    .collect(Collectors.joining(", "))
                + ", got '"
                + status
                + "'");
      }
    }
    java.time.Instant since = call.instantQuery("since");
    java.time.Instant until = call.instantQuery("until");
    if (since != null && until != null && !until.isAfter(since)) {
      throw Invalid.of("until", "must be after since (" + since + "), got " + until);
    }
    String before = call.query("before");
    Long beforeId = before == null ? null : id("before", before);
    Page<Run> page =
        runs.list(
            new RunFilter(
                call.query("job"),
                call.query("template"),
                statuses,
                since,
                until,
                beforeId,
                call.limit()));
    JsonArray items = new JsonArray();
    page.items().forEach(r -> items.add(RunJson.summary(r)));
    return Reply.ok(new JsonObject().put("items", items).put("next", page.next()));
  }

  private Reply get(Call call) {
    Run run = runs.get(runId(call));
    JsonArray deliveries = new JsonArray();
    webhooks.forRun(run.id()).forEach(d -> deliveries.add(DeliveryJson.of(d)));
    return Reply.ok(RunJson.full(run).put("webhookDeliveries", deliveries));
  }

  private Reply cancel(Call call) {
    return Reply.ok(RunJson.full(engine.cancel(runId(call), call.principal().name())));
  }

  private Reply retry(Call call) {
    JsonObject body = call.bodyOrEmpty();
    JsonReader in = new JsonReader();
    in.rejectUnknown(body, Set.of("force"), "");
    boolean force = in.bool(body, "force", "");
    in.throwIfAny();
    RequestKey key = RequestKeys.of(call, body);
    return started(requested.retry(runId(call), call.principal().name(), force, key));
  }

  /** 202 with the run a request started (or an earlier copy of it, said in a header). */
  static Reply started(RequestedRuns.Started started) {
    Run run = started.run();
    return RequestKeys.started(
        new Reply(202, RunJson.full(run), "/api/v1/runs/" + run.id()), started.replayed());
  }

  static long runId(Call call) {
    return id("id", call.pathParam("id"));
  }

  static long id(String field, String text) {
    try {
      long id = Long.parseLong(text);
      if (id > 0) {
        return id;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw Invalid.of(field, "must be a positive whole number, got '" + text + "'");
  }
}
