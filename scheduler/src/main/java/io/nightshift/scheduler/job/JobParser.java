package io.nightshift.scheduler.job;

import io.nightshift.scheduler.run.Params;
import io.nightshift.scheduler.template.JsonReader;
import io.nightshift.scheduler.template.Names;
import io.nightshift.scheduler.template.Template;
import io.nightshift.scheduler.template.TemplateJson;
import io.nightshift.scheduler.template.TemplateParser;
import io.nightshift.scheduler.template.Webhook;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads a job from the API JSON; the template and its parameters are checked by the caller. */
public final class JobParser {
  /**
   * What defines a job, and {@code paused}, which must agree with {@code enabled} ({@link
   * #paused}).
   */
  private static final Set<String> FIELDS =
      Set.of(
          "name",
          "template",
          "params",
          "schedule",
          "concurrency",
          "misfire",
          "enabled",
          "notify",
          "paused");

  /**
   * What an answer reports about a job rather than defines (when it fires next, what its last fire
   * did, who paused it, its revision and times): ignored in a body, so an answer written back, by a
   * client written before such a field was added too, is not refused for carrying it. {@code
   * paused} is checked instead ({@link #paused}).
   */
  private static final Set<String> OBSERVED =
      Set.of(
          "nextFireTimes",
          "lastFire",
          "pausedBy",
          "pausedAt",
          "revision",
          "createdAt",
          "updatedAt");

  private JobParser() {}

  /**
   * {@code current} is the stored job on a PUT (null on create): a field left out keeps its value
   * there, so editing a paused job keeps it paused.
   */
  public static JobSpec parse(JsonObject json, String nameFromUrl, JobSpec current, Instant now) {
    return parse(json, nameFromUrl, current, now, null);
  }

  /** Checks a job's parameter values against its template, adding problems to {@code in}. */
  @FunctionalInterface
  public interface ParamCheck {
    /** The values to store (such as masked secrets replaced by the stored ones). */
    Map<String, String> check(JsonReader in, String template, Map<String, String> params);
  }

  /**
   * As above, and with {@code paramCheck} the parameter values are checked against the template
   * too, so one answer lists every problem of the job.
   */
  public static JobSpec parse(
      JsonObject body, String nameFromUrl, JobSpec current, Instant now, ParamCheck paramCheck) {
    JsonObject json = body.copy();
    OBSERVED.forEach(json::remove);
    JsonReader in = new JsonReader();
    in.rejectUnknown(json, FIELDS, "");
    String name = in.resourceName(json, nameFromUrl);
    String template = in.string(json, "template", "", current == null);
    if (template == null && current != null) {
      template = current.template();
    } else if (template != null && !Names.isResourceName(template)) {
      in.problem("template", Names.resourceRule() + ", got '" + template + "'");
    }
    Map<String, String> params = current == null ? Map.of() : current.params();
    if (json.containsKey("params")) {
      JsonObject object = in.object(json, "params", "");
      params = in.collect(() -> Params.read(object, "params"));
    }
    if (params != null && paramCheck != null && Names.isResourceName(template)) {
      params = paramCheck.check(in, template, params);
    }
    Schedule schedule = current == null ? null : current.schedule();
    if (json.containsKey("schedule")) {
      schedule = in.collect(() -> ScheduleParser.parse(json.getValue("schedule"), now));
    }
    Concurrency concurrency =
        choice(
            in,
            json,
            "concurrency",
            Concurrency.class,
            current == null ? Concurrency.FORBID : current.concurrency());
    Misfire misfire =
        choice(
            in,
            json,
            "misfire",
            Misfire.class,
            current == null ? Misfire.FIRE_ONCE : current.misfire());
    boolean enabled =
        json.getValue("enabled") != null
            ? in.bool(json, "enabled", "")
            : current == null || current.enabled();
    paused(in, json, enabled);
    List<Webhook> webhooks =
        json.containsKey("notify")
            ? TemplateParser.webhooks(in, json, "notify", true)
            : current == null ? List.of() : current.webhooks();
    in.throwIfAny();
    return new JobSpec(name, template, params, schedule, concurrency, misfire, enabled, webhooks);
  }

  private static <E extends Enum<E>> E choice(
      JsonReader in, JsonObject json, String key, Class<E> type, E fallback) {
    String value = in.string(json, key, "", false);
    if (value == null) {
      return fallback;
    }
    for (E e : type.getEnumConstants()) {
      if (e.name().toLowerCase(java.util.Locale.ROOT).equals(value)) {
        return e;
      }
    }
    StringBuilder allowed = new StringBuilder();
    for (E e : type.getEnumConstants()) {
      allowed
          .append(allowed.length() == 0 ? "" : ", ")
          .append(e.name().toLowerCase(java.util.Locale.ROOT));
    }
    in.problem(key, "must be one of " + allowed + ", got '" + value + "'");
    return fallback;
  }

  /** The stored body: everything but name and enabled, which have columns. */
  public static JsonObject body(JobSpec spec) {
    return new JsonObject()
        .put("template", spec.template())
        .put("params", new JsonObject(new java.util.LinkedHashMap<>(spec.params())))
        .put("schedule", spec.schedule() == null ? null : spec.schedule().toJson())
        .put("concurrency", spec.concurrency().json())
        .put("misfire", spec.misfire().json())
        .put("notify", TemplateJson.webhooks(spec.webhooks(), false));
  }

  /**
   * The body as the audit trail shows it: values of the parameters {@code template} marks secret
   * (every value when the template is unknown) and webhook secrets are {@code ******}.
   */
  public static JsonObject shown(JobSpec spec, Template template) {
    Map<String, String> params = new java.util.LinkedHashMap<>(spec.params());
    if (template == null) {
      params.replaceAll((name, value) -> Params.MASK);
    } else {
      params = Params.masked(template, params);
    }
    return body(spec)
        .put("params", new JsonObject(new java.util.LinkedHashMap<String, Object>(params)))
        .put("notify", TemplateJson.webhooks(spec.webhooks(), true));
  }

  /** Reads a stored body back; the stored schedule was valid when stored, so "at" may be past. */
  public static JobSpec fromStored(String name, boolean enabled, JsonObject body) {
    Map<String, String> params = Params.read(body.getJsonObject("params"), "params");
    Object schedule = body.getValue("schedule");
    return new JobSpec(
        name,
        body.getString("template"),
        params,
        schedule == null ? null : ScheduleParser.stored(schedule),
        Concurrency.valueOf(body.getString("concurrency").toUpperCase(java.util.Locale.ROOT)),
        Misfire.valueOf(body.getString("misfire").toUpperCase(java.util.Locale.ROOT)),
        enabled,
        body.containsKey("notify")
            ? TemplateParser.webhooks(new JsonReader(), body, "notify", true)
            : List.of());
  }

  /**
   * {@code paused} in an answer is the opposite of {@code enabled}: written back as it was, it is
   * accepted; one that says otherwise is refused (taken as it reads, it would be ignored silently).
   */
  private static void paused(JsonReader in, JsonObject json, boolean enabled) {
    Object paused = json.getValue("paused");
    if (paused == null) {
      return;
    }
    if (!(paused instanceof Boolean value)) {
      in.problem("paused", "must be true or false");
    } else if (value == enabled) {
      in.problem(
          "paused",
          "is what the job's 'enabled' is not (it reports it); to pause or resume a job use POST"
              + " /api/v1/jobs/{name}/pause or /resume, or give 'enabled'");
    }
  }
}
