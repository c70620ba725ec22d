package io.nightshift.web.http;

import io.nightshift.executor.Instants;
import io.nightshift.scheduler.auth.Permission;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.job.JobRepository;
import io.nightshift.scheduler.job.StoredJob;
import io.nightshift.scheduler.run.Params;
import io.nightshift.scheduler.store.Page;
import io.nightshift.scheduler.template.StoredTemplate;
import io.nightshift.scheduler.template.Template;
import io.nightshift.scheduler.template.TemplateJson;
import io.nightshift.scheduler.template.TemplateParser;
import io.nightshift.scheduler.template.TemplateRepository;
import io.nightshift.scheduler.template.UnchangedSecrets;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/** Template CRUD. PUT stores a new version (or the first one). */
public final class TemplateRoutes {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(TemplateRoutes.class);

  private final Endpoints endpoints;
  private final TemplateRepository templates;
  private final JobRepository jobs;
  private final Clock clock;

  public TemplateRoutes(
      Endpoints endpoints, TemplateRepository templates, JobRepository jobs, Clock clock) {
    this.jobs = jobs;
    this.endpoints = endpoints;
    this.templates = templates;
    this.clock = clock;
  }

  public void mount(Router api) {
    api.post("/templates").handler(endpoints.blocking(Permission.OPERATE, this::create));
    api.get("/templates")
        .handler(
            endpoints.blocking(
                Permission.READ, QueryParameters.only("after", "limit"), this::list));
    api.get("/templates/:name")
        .handler(endpoints.blocking(Permission.READ, QueryParameters.only("version"), this::get));
    api.put("/templates/:name").handler(endpoints.blocking(Permission.OPERATE, this::put));
    api.delete("/templates/:name")
        .handler(endpoints.blocking(Permission.OPERATE, NoBody.CHECK, this::delete));
  }

  private Reply create(Call call) {
    Template template = UnchangedSecrets.template(TemplateParser.parseNew(call.body(), null), null);
    StoredTemplate stored = templates.create(template, call.principal().name(), clock.instant());
    return Reply.created(json(stored), "/api/v1/templates/" + stored.name());
  }

  private Reply list(Call call) {
    Page<StoredTemplate> page = templates.list(call.query("after"), call.limit());
    JsonArray items = new JsonArray();
    page.items().forEach(t -> items.add(json(t)));
    return Reply.ok(new JsonObject().put("items", items).put("next", page.next()));
  }

  private Reply get(Call call) {
    String name = call.name("name");
    String versionText = call.query("version");
    Integer version =
        versionText == null ? null : call.intQuery("version", 1, 1, Integer.MAX_VALUE);
    StoredTemplate stored =
        templates
            .shown(name, version)
            .orElseThrow(
                () ->
                    version == null
                        ? new NotFound("template", name)
                        : new NotFound("template version", name + "@" + versionText));
    return Reply.ok(json(stored));
  }

  private Reply put(Call call) {
    String name = call.name("name");
    JsonObject body = call.body().copy();
    boolean dryRun = DryRun.take(body);
    Optional<StoredTemplate> current = templates.shown(name, null);
    Template template =
        UnchangedSecrets.template(
            TemplateParser.parseNew(body, name),
            current.map(StoredTemplate::template).orElse(null));
    if (dryRun) {
      return Reply.ok(withWarnings(DryRun.answer(name, current.isPresent()), template));
    }
    String actor = call.principal().name();
    try {
      StoredTemplate stored = templates.update(template, actor, clock.instant());
      return Reply.ok(withWarnings(json(stored), stored.template()));
    } catch (NotFound absent) {
      StoredTemplate stored = templates.create(template, actor, clock.instant());
      return Reply.created(json(stored), "/api/v1/templates/" + name);
    }
  }

  /**
   * A new version is stored even when a job of the template no longer gives what it needs (the
   * job's own change may come next, as in an apply of a folder), but the answer says which jobs'
   * fires will now fail to start, and why, under {@code warnings}; so does the node's log.
   */
  private JsonObject withWarnings(JsonObject answer, Template template) {
    JsonArray warnings = new JsonArray();
    for (StoredJob job : jobs.ofTemplate(template.name())) {
      try {
        Params.resolve(template, job.spec().params(), Map.of());
      } catch (Invalid broken) {
        warnings.add(
            "job '"
                + job.name()
                + "': "
                // Every problem: a warning has no details to point at.
                + broken.everyProblem()
                + "; its fires fail to start until the job is changed to match");
      }
    }
    if (!warnings.isEmpty()) {
      if (!answer.getBoolean("dryRun", false)) {
        log.warn(
            "template {} version {}: {}", template.name(), answer.getValue("version"), warnings);
      }
      answer.put("warnings", warnings);
    }
    return answer;
  }

  private Reply delete(Call call) {
    templates.delete(call.name("name"), call.principal().name(), clock.instant());
    return Reply.noContent();
  }

  /**
   * A version as answered. One this node cannot read has no parameters nor steps to show, and says
   * why in {@code problem} (the version can be replaced by a PUT).
   */
  static JsonObject json(StoredTemplate stored) {
    JsonObject json =
        stored.readable()
            ? TemplateJson.shown(stored.template())
            : new JsonObject()
                .put("name", stored.name())
                .put("params", new JsonArray())
                .put("onFailure", "fail")
                .put("steps", new JsonArray())
                .put("problem", stored.problem());
    return json.put("version", stored.version())
        .put("createdAt", Instants.format(stored.createdAt()))
        .put("updatedAt", Instants.format(stored.updatedAt()))
        .put("updatedBy", stored.updatedBy());
  }
}
