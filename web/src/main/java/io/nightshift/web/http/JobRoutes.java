package io.nightshift.web.http;

import io.nightshift.executor.Instants;
import io.nightshift.scheduler.auth.Permission;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.job.Fire;
import io.nightshift.scheduler.job.FireRepository;
import io.nightshift.scheduler.job.JobParser;
import io.nightshift.scheduler.job.JobRepository;
import io.nightshift.scheduler.job.JobScheduler;
import io.nightshift.scheduler.job.JobSpec;
import io.nightshift.scheduler.job.Schedule;
import io.nightshift.scheduler.job.StoredJob;
import io.nightshift.scheduler.logs.LogBus;
import io.nightshift.scheduler.notify.WebhookDelivery;
import io.nightshift.scheduler.notify.WebhookRepository;
import io.nightshift.scheduler.run.Engine;
import io.nightshift.scheduler.run.NewRun;
import io.nightshift.scheduler.run.Params;
import io.nightshift.scheduler.run.RequestKey;
import io.nightshift.scheduler.run.RequestedRuns;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.Trigger;
import io.nightshift.scheduler.store.Page;
import io.nightshift.scheduler.template.JsonReader;
import io.nightshift.scheduler.template.StoredTemplate;
import io.nightshift.scheduler.template.TemplateJson;
import io.nightshift.scheduler.template.TemplateRepository;
import io.nightshift.scheduler.template.UnchangedSecrets;
import io.nightshift.scheduler.template.Webhook;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Jobs: CRUD, pause/resume, run now, and the cron log of fires. */
public final class JobRoutes {
  private static final DateTimeFormatter WITH_OFFSET =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSXXX");

  private final Endpoints endpoints;
  private final JobRepository jobs;
  private final FireRepository fires;
  private final TemplateRepository templates;
  private final JobScheduler scheduler;
  private final RequestedRuns requested;
  private final Engine engine;
  private final LogBus bus;
  private final WebhookRepository deliveries;
  private final Clock clock;

  public JobRoutes(
      Endpoints endpoints,
      JobRepository jobs,
      FireRepository fires,
      TemplateRepository templates,
      JobScheduler scheduler,
      RequestedRuns requested,
      Engine engine,
      LogBus bus,
      WebhookRepository deliveries,
      Clock clock) {
    this.endpoints = endpoints;
    this.jobs = jobs;
    this.fires = fires;
    this.templates = templates;
    this.scheduler = scheduler;
    this.requested = requested;
    this.engine = engine;
    this.bus = bus;
    this.deliveries = deliveries;
    this.clock = clock;
  }

  public void mount(Router api) {
    api.post("/jobs").handler(endpoints.blocking(Permission.OPERATE, this::create));
    api.get("/jobs")
        .handler(
            endpoints.blocking(
                Permission.READ, QueryParameters.only("after", "limit"), this::list));
    api.get("/jobs/:name")
        .handler(endpoints.blocking(Permission.READ, QueryParameters.none(), this::get));
    api.put("/jobs/:name").handler(endpoints.blocking(Permission.OPERATE, this::put));
    api.delete("/jobs/:name")
        .handler(endpoints.blocking(Permission.OPERATE, NoBody.CHECK, this::delete));
    api.post("/jobs/:name/pause")
        .handler(endpoints.blocking(Permission.OPERATE, NoBody.CHECK, c -> enable(c, false)));
    api.post("/jobs/:name/resume")
        .handler(endpoints.blocking(Permission.OPERATE, NoBody.CHECK, c -> enable(c, true)));
    api.post("/jobs/:name/runs").handler(endpoints.blocking(Permission.OPERATE, this::runNow));
    api.get("/jobs/:name/fires")
        .handler(
            endpoints.blocking(
                Permission.READ, QueryParameters.only("before", "limit"), this::fires));
    api.get("/jobs/:name/deliveries")
        .handler(
            endpoints.blocking(
                Permission.READ, QueryParameters.only("before", "limit"), this::deliveries));
  }

  private Reply create(Call call) {
    JobSpec spec = parse(call.body(), null, null);
    StoredJob stored = jobs.create(spec, call.principal().name(), clock.instant());
    changed(stored.name());
    return Reply.created(json(stored), "/api/v1/jobs/" + stored.name());
  }

  private Reply put(Call call) {
    String name = call.name("name");
    Optional<StoredJob> current = jobs.find(name);
    JobSpec before = current.map(StoredJob::spec).orElse(null);
    JsonObject body = call.body().copy();
    boolean dryRun = DryRun.take(body);
    JobSpec spec = parse(body, name, before);
    if (dryRun) {
      return Reply.ok(DryRun.answer(name, current.isPresent()));
    }
    if (current.isEmpty()) {
      StoredJob stored = jobs.create(spec, call.principal().name(), clock.instant());
      changed(name);
      return Reply.created(json(stored), "/api/v1/jobs/" + name);
    }
    StoredJob stored = jobs.update(spec, "update", call.principal().name(), clock.instant());
    if (!current.get().spec().enabled() && spec.enabled()) {
      scheduler.resumed(stored);
    }
    changed(name);
    return Reply.ok(json(stored));
  }

  private Reply enable(Call call, boolean enabled) {
    StoredJob job = jobs.get(call.name("name"));
    if (job.spec().enabled() == enabled) {
      return Reply.ok(json(job));
    }
    StoredJob stored =
        jobs.update(
            job.spec().withEnabled(enabled),
            enabled ? "resume" : "pause",
            call.principal().name(),
            clock.instant());
    if (enabled) {
      scheduler.resumed(stored);
    }
    changed(stored.name());
    return Reply.ok(json(stored));
  }

  /**
   * Deletes the job and cancels its QUEUED runs: they wait for a turn of a job that is gone, and
   * would otherwise start one after another, unlooked for. Its running runs go on.
   */
  private Reply delete(Call call) {
    String name = call.name("name");
    String actor = call.principal().name();
    List<Long> queued = jobs.delete(name, actor, clock.instant());
    changed(name);
    for (long runId : queued) {
      try {
        engine.cancel(runId, actor);
      } catch (Conflict ended) {
        // It started or ended meanwhile: a run of the job that went on, as a running one does.
      }
    }
    return Reply.noContent();
  }

  private Reply list(Call call) {
    Page<StoredJob> page = jobs.list(call.query("after"), call.limit());
    Map<Long, Fire> last = fires.latest(page.items().stream().map(StoredJob::id).toList());
    JsonArray items = new JsonArray();
    page.items().forEach(j -> items.add(json(j, last.get(j.id()))));
    return Reply.ok(new JsonObject().put("items", items).put("next", page.next()));
  }

  private Reply get(Call call) {
    return Reply.ok(json(jobs.get(call.name("name"))));
  }

  private Reply runNow(Call call) {
    String name = call.name("name");
    JsonObject body = call.bodyOrEmpty();
    RequestKey key = RequestKeys.of(call, body);
    // A resend is answered even if the job or its template changed since the first copy.
    Optional<Run> earlier = requested.earlier(call.principal().name(), key);
    if (earlier.isPresent()) {
      return RunRoutes.started(new RequestedRuns.Started(earlier.get(), true));
    }
    StoredJob job = jobs.get(name);
    JsonReader in = new JsonReader();
    in.rejectUnknown(body, Set.of("params", "force"), "");
    JsonObject params = in.object(body, "params", "");
    boolean force = in.bool(body, "force", "");
    StoredTemplate template = template(job.spec());
    UnchangedSecrets.refuseInRun(
        template.template(), params, in, "give the value, or leave it out to use the job's");
    Map<String, String> values =
        Params.resolve(in, template.template(), job.spec().params(), params);
    in.throwIfAny();
    NewRun run =
        new NewRun(
            template.template(),
            template.version(),
            job.name(),
            Trigger.MANUAL,
            call.principal().name(),
            values,
            null);
    return RunRoutes.started(requested.start(run.withRequest(key), force));
  }

  private Reply fires(Call call) {
    StoredJob job = jobs.get(call.name("name"));
    String before = call.query("before");
    Page<Fire> page =
        fires.page(job.id(), before == null ? null : RunRoutes.id("before", before), call.limit());
    JsonArray items = new JsonArray();
    page.items().forEach(f -> items.add(json(f)));
    return Reply.ok(new JsonObject().put("items", items).put("next", page.next()));
  }

  /** Attempts of deliveries of the job's fire events to its webhooks, newest first. */
  private Reply deliveries(Call call) {
    StoredJob job = jobs.get(call.name("name"));
    String before = call.query("before");
    Page<WebhookDelivery> page =
        deliveries.forJob(
            job.id(), before == null ? null : RunRoutes.id("before", before), call.limit());
    JsonArray items = new JsonArray();
    page.items().forEach(d -> items.add(DeliveryJson.of(d)));
    return Reply.ok(new JsonObject().put("items", items).put("next", page.next()));
  }

  /**
   * The job of a create ({@code stored} null) or a PUT, with every problem of the body and of its
   * parameter values (against the template) in one 400. A masked secret (a secret parameter's value
   * or a webhook secret written back as read) stands for the stored job's; on create it is a 400.
   */
  private JobSpec parse(JsonObject body, String name, JobSpec stored) {
    JobSpec given =
        JobParser.parse(
            body,
            name,
            stored,
            clock.instant(),
            (in, template, params) -> params(in, template, params, stored));
    List<Invalid.Problem> problems = new ArrayList<>();
    List<Webhook> webhooks =
        UnchangedSecrets.webhooks(
            given.webhooks(), stored == null ? List.of() : stored.webhooks(), problems);
    if (!problems.isEmpty()) {
      throw new Invalid(problems);
    }
    return new JobSpec(
        given.name(),
        given.template(),
        given.params(),
        given.schedule(),
        given.concurrency(),
        given.misfire(),
        given.enabled(),
        webhooks);
  }

  /** The values to store: masks replaced by stored secrets, then checked against the template. */
  private Map<String, String> params(
      JsonReader in, String templateName, Map<String, String> given, JobSpec stored) {
    Optional<StoredTemplate> template = templates.find(templateName);
    if (template.isEmpty()) {
      in.problem("template", "template '" + templateName + "' does not exist");
      return given;
    }
    List<Invalid.Problem> problems = new ArrayList<>();
    Map<String, String> params =
        UnchangedSecrets.params(
            template.get().template(),
            given,
            stored == null ? Map.of() : stored.params(),
            problems);
    problems.forEach(p -> in.problem(p.field(), p.message()));
    if (problems.isEmpty()) {
      in.collect(() -> Params.resolve(template.get().template(), params, Map.of()));
    }
    return params;
  }

  private StoredTemplate template(JobSpec spec) {
    return templates
        .find(spec.template())
        .orElseThrow(() -> new NotFound("template", spec.template()));
  }

  /** This node reschedules at once; the others hear it on the events channel. */
  private void changed(String name) {
    scheduler.sync(name);
    bus.publishEvent(new JsonObject().put("type", "job").put("job", name));
  }

  private JsonObject json(StoredJob job) {
    return json(job, fires.latest(List.of(job.id())).get(job.id()));
  }

  /** The job as answered; {@code lastFire}: its latest fire (the cron log's first row), or null. */
  private JsonObject json(StoredJob job, Fire lastFire) {
    JobSpec spec = job.spec();
    Map<String, String> params = spec.params();
    Optional<StoredTemplate> template = templates.shown(spec.template(), null);
    if (template.isPresent() && template.get().readable()) {
      params = Params.masked(template.get().template(), params);
    } else if (template.isPresent()) {
      // Which parameters are secret is unknown while the template cannot be read: none shown.
      Map<String, String> hidden = new LinkedHashMap<>();
      params.keySet().forEach(name -> hidden.put(name, Params.MASK));
      params = hidden;
    }
    ZoneId zone = spec.schedule() instanceof Schedule.Cron cron ? cron.zone() : ZoneOffset.UTC;
    JsonArray next = new JsonArray();
    JobScheduler.nextFireTimes(spec, clock.instant(), 5)
        .forEach(t -> next.add(WITH_OFFSET.format(t.atZone(zone))));
    return new JsonObject()
        .put("name", spec.name())
        .put("template", spec.template())
        .put("params", new JsonObject(new LinkedHashMap<String, Object>(params)))
        .put("schedule", spec.schedule() == null ? null : spec.schedule().toJson())
        .put("concurrency", spec.concurrency().json())
        .put("misfire", spec.misfire().json())
        .put("enabled", spec.enabled())
        .put("paused", !spec.enabled())
        .put("pausedBy", job.pausedBy())
        .put("pausedAt", Instants.format(job.pausedAt()))
        .put("notify", TemplateJson.webhooks(spec.webhooks(), true))
        .put("revision", job.revision())
        .put("createdAt", Instants.format(job.createdAt()))
        .put("updatedAt", Instants.format(job.updatedAt()))
        .put("nextFireTimes", next)
        .put("lastFire", lastFire == null ? null : json(lastFire));
  }

  static JsonObject json(Fire f) {
    return new JsonObject()
        .put("id", f.id())
        .put("job", f.job())
        .put("scheduledAt", Instants.format(f.scheduledAt()))
        .put("firedAt", Instants.format(f.firedAt()))
        .put("lagMs", f.lagMs())
        .put("outcome", f.outcome().json())
        .put("reason", f.reason())
        .put("runId", f.runId())
        .put("node", f.node());
  }
}
