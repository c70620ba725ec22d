package io.nightshift.scheduler.template;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Turns the JSON of the API into a {@link Template}, or throws {@link
 * io.nightshift.scheduler.error.Invalid} listing every problem with the path of its field.
 */
public final class TemplateParser {
  static final int MAX_STEPS = 200;
  static final int MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;

  /**
   * What a template is made of, and what an answer reports about it besides ({@code version},
   * {@code createdAt}, {@code updatedAt}, {@code updatedBy}: accepted and ignored, so that an
   * answer written back with PUT is not refused for them).
   */
  private static final Set<String> TEMPLATE_FIELDS =
      Set.of(
          "name",
          "description",
          "params",
          "onFailure",
          "steps",
          "notify",
          "version",
          "createdAt",
          "updatedAt",
          "updatedBy");

  private static final Set<String> COMMON_STEP_FIELDS =
      Set.of(
          "name",
          "kind",
          "needs",
          "timeoutSeconds",
          "retries",
          "retryBackoffSeconds",
          "ignoreFailure",
          "undo",
          "description");
  private static final Map<StepKind, Set<String>> KIND_FIELDS =
      Map.of(
          StepKind.COMMAND, Set.of("command"),
          StepKind.SCRIPT, Set.of("script", "interpreter"),
          StepKind.HTTP, Set.of("method", "url", "headers", "body", "expectStatus"),
          StepKind.NOTIFY, Set.of("method", "url", "headers", "body"),
          StepKind.APPROVAL, Set.of("approvers", "message", "onTimeout"));
  private static final Set<String> HTTP_METHODS =
      Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
  private static final Pattern INTERPRETER = Pattern.compile("[A-Za-z0-9._/+-]{1,128}");
  private static final Pattern APPROVER = Pattern.compile("(role:)?[a-z0-9][a-z0-9._-]{0,63}");

  private TemplateParser() {}

  /**
   * A template sent to be stored (created or changed): {@link #parse}, then the rules only new
   * versions must meet ({@link NewTemplateRules}). Templates stored before a rule are still read as
   * they are.
   */
  public static Template parseNew(JsonObject json, String nameFromUrl) {
    Template template = parse(json, nameFromUrl);
    JsonReader in = new JsonReader();
    NewTemplateRules.check(in, template);
    in.throwIfAny();
    return template;
  }

  /**
   * Parses a template. {@code nameFromUrl}, when given, is the name in the URL of a PUT; a body
   * name must then be equal to it.
   */
  public static Template parse(JsonObject json, String nameFromUrl) {
    JsonReader in = new JsonReader();
    if (json == null) {
      in.problem("", "the body must be a JSON object");
      in.throwIfAny();
    }
    in.rejectUnknown(json, TEMPLATE_FIELDS, "");
    String name = in.resourceName(json, nameFromUrl);
    String description = in.string(json, "description", "", false);
    if (description != null && description.length() > 2000) {
      in.problem("description", "must be at most 2000 characters");
    }
    OnFailure onFailure = onFailure(in, in.string(json, "onFailure", "", false));
    List<ParamSpec> params = ParamParser.params(in, in.array(json, "params", ""));
    List<Named> named = new ArrayList<>();
    List<StepSpec> steps = steps(in, json, named);
    List<Webhook> notify = webhooks(in, json, "notify", false);
    checkNeedsGraph(in, named, steps);
    Set<String> declared = new HashSet<>();
    params.forEach(p -> declared.add(p.name()));
    VariableCheck variables = new VariableCheck(declared);
    named.forEach(n -> variables.check(in, n.step(), "steps[" + n.index() + "]"));
    if (onFailure == OnFailure.ROLLBACK && !anyUndo(json)) {
      in.problem("onFailure", "is 'rollback' but no step has an 'undo'");
    }
    in.throwIfAny();
    return new Template(name, description, params, onFailure, steps, notify);
  }

  /** A step that was read (valid or not), with its place in the list, for checks across steps. */
  private record Named(int index, String name, List<String> needs, StepSpec step) {}

  private static boolean anyUndo(JsonObject json) {
    return json.getValue("steps") instanceof JsonArray array
        && array.stream().anyMatch(s -> s instanceof JsonObject o && o.getValue("undo") != null);
  }

  private static final Set<String> WEBHOOK_FIELDS = Set.of("url", "events", "secret");

  /** {@code notify: [{url, events, secret}]} of a template or a job. */
  public static List<Webhook> webhooks(JsonReader in, JsonObject json, String key, boolean ofJob) {
    List<Webhook> out = new ArrayList<>();
    JsonArray array = in.array(json, key, "");
    if (array == null) {
      return out;
    }
    for (int i = 0; i < array.size(); i++) {
      String at = key + "[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject w)) {
        in.problem(at, "must be an object with url, events and secret");
        continue;
      }
      in.rejectUnknown(w, WEBHOOK_FIELDS, at);
      String url = in.string(w, "url", at, true);
      String problem = url == null ? null : Webhook.urlProblem(url);
      if (problem != null) {
        in.problem(at + ".url", problem);
        url = null;
      }
      List<String> events = in.strings(w, "events", at);
      if (events != null) {
        for (int e = 0; e < events.size(); e++) {
          if (!Webhook.known(events.get(e))) {
            in.problem(
                at + ".events[" + e + "]",
                "unknown event '"
                    + events.get(e)
                    + "'; one of *, run.*, approval.*, job.*, "
                    + new java.util.TreeSet<>(Webhook.EVENTS));
          } else if (!ofJob && Webhook.ofJob(events.get(e))) {
            in.problem(
                at + ".events[" + e + "]",
                "'"
                    + events.get(e)
                    + "' is a job's event (a fire that started no run): declare this webhook in"
                    + " the job's notify");
          }
        }
      }
      String secret = in.string(w, "secret", at, false);
      if (url != null) {
        out.add(new Webhook(url, events == null ? List.of() : events, secret));
      }
    }
    return out;
  }

  private static OnFailure onFailure(JsonReader in, String value) {
    if (value == null || value.equals("fail")) {
      return OnFailure.FAIL;
    }
    if (value.equals("rollback")) {
      return OnFailure.ROLLBACK;
    }
    in.problem("onFailure", "must be 'fail' or 'rollback', got '" + value + "'");
    return OnFailure.FAIL;
  }

  private static List<StepSpec> steps(JsonReader in, JsonObject json, List<Named> named) {
    JsonArray array = in.array(json, "steps", "");
    List<StepSpec> steps = new ArrayList<>();
    if (array == null) {
      if (json.getValue("steps") == null) {
        in.problem("steps", "is required");
      }
      return steps;
    }
    if (array.isEmpty()) {
      in.problem("steps", "must have at least one step");
    }
    if (array.size() > MAX_STEPS) {
      in.problem("steps", "must have at most " + MAX_STEPS + " steps, got " + array.size());
      return steps;
    }
    Set<String> seen = new HashSet<>();
    String previous = null;
    for (int i = 0; i < array.size(); i++) {
      String at = "steps[" + i + "]";
      if (!(array.getValue(i) instanceof JsonObject s)) {
        in.problem(at, "must be an object");
        continue;
      }
      Named read = step(in, s, i, previous);
      previous = read.name();
      if (read.name() == null) {
        continue;
      }
      if (!seen.add(read.name())) {
        in.problem(at + ".name", "duplicate step name '" + read.name() + "'");
      }
      named.add(read);
      if (read.step() != null) {
        steps.add(read.step());
      }
    }
    return steps;
  }

  private static Named step(JsonReader in, JsonObject s, int index, String previous) {
    String at = "steps[" + index + "]";
    String name = in.string(s, "name", at, true);
    if (name != null && !Names.STEP.matcher(name).matches()) {
      in.problem(at + ".name", "must match [A-Za-z0-9][A-Za-z0-9._-]{0,63}, got '" + name + "'");
    }
    String kindText = in.string(s, "kind", at, true);
    StepKind kind = kindText == null ? null : StepKind.fromJson(kindText).orElse(null);
    if (kindText != null && kind == null) {
      in.problem(
          at + ".kind", "unknown step kind '" + kindText + "'; one of " + StepKind.allowed());
    }
    if (kind != null) {
      Set<String> known = new HashSet<>(COMMON_STEP_FIELDS);
      known.addAll(KIND_FIELDS.get(kind));
      in.rejectUnknown(s, known, at);
    }
    List<String> needs = in.strings(s, "needs", at);
    if (needs == null) {
      needs = previous == null ? List.of() : List.of(previous);
    } else if (new HashSet<>(needs).size() != needs.size()) {
      in.problem(at + ".needs", "lists a step more than once");
    }
    Integer timeout = in.integer(s, "timeoutSeconds", at, 1, MAX_TIMEOUT_SECONDS);
    Integer retries = in.integer(s, "retries", at, 0, 100);
    Integer backoff = in.integer(s, "retryBackoffSeconds", at, 0, 86_400);
    boolean ignoreFailure = in.bool(s, "ignoreFailure", at);
    String undo = in.string(s, "undo", at, false);
    if (undo != null && undo.isBlank()) {
      in.problem(at + ".undo", "must not be blank when given");
    }
    String description = in.string(s, "description", at, false);
    if (description != null && description.length() > 2000) {
      in.problem(at + ".description", "must be at most 2000 characters");
    }
    StepAction action = kind == null ? null : action(in, kind, s, at);
    if (kind == StepKind.APPROVAL) {
      if (undo != null) {
        in.problem(at + ".undo", "an approval step has nothing to undo");
      }
      if (retries != null && retries > 0) {
        in.problem(at + ".retries", "an approval step cannot be retried");
      }
    }
    StepSpec step =
        name == null || action == null
            ? null
            : new StepSpec(
                name,
                action,
                needs,
                timeout,
                retries == null ? 0 : retries,
                backoff == null ? 0 : backoff,
                ignoreFailure,
                undo,
                description);
    return new Named(index, name, needs, step);
  }

  private static StepAction action(JsonReader in, StepKind kind, JsonObject s, String at) {
    switch (kind) {
      case COMMAND -> {
        String command = in.string(s, "command", at, true);
        return command == null ? null : new StepAction.Command(command);
      }
      case SCRIPT -> {
        String script = in.string(s, "script", at, true);
        String interpreter = in.string(s, "interpreter", at, false);
        if (interpreter == null) {
          interpreter = "sh";
        } else if (!INTERPRETER.matcher(interpreter).matches()) {
          in.problem(
              at + ".interpreter",
              "must be a program name or path such as 'bash' or '/usr/bin/python3', got '"
                  + interpreter
                  + "'");
        }
        return script == null ? null : new StepAction.Script(interpreter, script);
      }
      case HTTP -> {
        String method = method(in, s, at, "GET");
        String url = url(in, s, at);
        Map<String, String> headers = in.stringMap(s, "headers", at);
        String body = in.string(s, "body", at, false);
        Integer expect = in.integer(s, "expectStatus", at, 100, 599);
        return url == null || method == null
            ? null
            : new StepAction.Http(method, url, headers, body, expect == null ? 200 : expect);
      }
      case NOTIFY -> {
        String method = method(in, s, at, "POST");
        String url = url(in, s, at);
        Map<String, String> headers = in.stringMap(s, "headers", at);
        String body = in.string(s, "body", at, false);
        return url == null || method == null
            ? null
            : new StepAction.Notify(method, url, headers, body);
      }
      case APPROVAL -> {
        List<String> approvers = in.strings(s, "approvers", at);
        boolean none = approvers == null || approvers.isEmpty();
        if (none) {
          in.problem(
              at + ".approvers",
              "an approval step needs at least one approver (a token name or 'role:NAME')");
          approvers = List.of();
        }
        for (int i = 0; i < approvers.size(); i++) {
          if (!APPROVER.matcher(approvers.get(i)).matches()) {
            in.problem(
                at + ".approvers[" + i + "]",
                "must be a token name or 'role:NAME', got '" + approvers.get(i) + "'");
          }
        }
        String message = in.string(s, "message", at, false);
        String onTimeout = in.string(s, "onTimeout", at, false);
        if (onTimeout == null) {
          onTimeout = "deny";
        } else if (!onTimeout.equals("deny") && !onTimeout.equals("approve")) {
          in.problem(at + ".onTimeout", "must be 'deny' or 'approve', got '" + onTimeout + "'");
        }
        return none ? null : new StepAction.Approval(approvers, message, onTimeout);
      }
      default -> throw new IllegalStateException("unhandled kind " + kind);
    }
  }

  private static String method(JsonReader in, JsonObject s, String at, String fallback) {
    String method = in.string(s, "method", at, false);
    if (method == null) {
      return fallback;
    }
    if (!HTTP_METHODS.contains(method)) {
      in.problem(at + ".method", "must be one of " + HTTP_METHODS + ", got '" + method + "'");
      return null;
    }
    return method;
  }

  private static String url(JsonReader in, JsonObject s, String at) {
    String url = in.string(s, "url", at, true);
    if (url != null && !url.startsWith("http://") && !url.startsWith("https://")) {
      in.problem(at + ".url", "must start with http:// or https://, got '" + url + "'");
      return null;
    }
    // Without parameters the URL is final: check now that it can be sent to.
    String problem = url == null || url.contains("$") ? null : Webhook.urlProblem(url);
    if (problem != null) {
      in.problem(at + ".url", problem);
      return null;
    }
    return url;
  }

  /**
   * Unknown names and cycles in {@code needs}, reported with the steps involved; the names are
   * checked for every step read (valid or not), cycles once every step is valid.
   */
  private static void checkNeedsGraph(JsonReader in, List<Named> named, List<StepSpec> steps) {
    Set<String> names = new HashSet<>();
    named.forEach(s -> names.add(s.name()));
    boolean known = true;
    for (Named step : named) {
      for (String need : step.needs()) {
        if (need.equals(step.name())) {
          in.problem("steps[" + step.index() + "].needs", "step '" + need + "' cannot need itself");
          known = false;
        } else if (!names.contains(need)) {
          in.problem("steps[" + step.index() + "].needs", "unknown step '" + need + "'");
          known = false;
        }
      }
    }
    if (!known || steps.size() != named.size() || steps.isEmpty()) {
      return;
    }
    List<String> cycle = StepGraph.of(steps).findCycle();
    if (!cycle.isEmpty()) {
      in.problem("steps", "the needs form a cycle: " + String.join(" -> ", cycle));
    }
  }
}
