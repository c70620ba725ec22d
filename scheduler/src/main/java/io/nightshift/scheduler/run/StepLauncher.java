package io.nightshift.scheduler.run;

import io.nightshift.executor.HttpCall;
import io.nightshift.executor.HttpExecutor;
import io.nightshift.executor.HttpSpec;
import io.nightshift.executor.LineSink;
import io.nightshift.executor.ProcessExecutor;
import io.nightshift.executor.ProcessGroups;
import io.nightshift.executor.ProcessSpec;
import io.nightshift.executor.ScriptFile;
import io.nightshift.executor.StepProcess;
import io.nightshift.executor.WorkDirs;
import io.nightshift.scheduler.template.StepAction;
import io.nightshift.scheduler.template.StepSpec;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** The in-process executor: turns a step of a run into a process or HTTP call on this node. */
public final class StepLauncher implements AttemptExecutor {
  /** Tags every process of a step attempt, so leftovers can be found after a crash. */
  static final String STEP_RUN_ID = "NIGHTSHIFT_STEP_RUN_ID";

  static final String NODE = "NIGHTSHIFT_NODE";

  /**
   * The run's work directory (the step's first working directory), under this node's work root:
   * with {@link #STEP_RUN_ID} and {@link #NODE}, it tags a step's processes as this installation's
   * (another one on the host may have a node of the same name and a step of the same id).
   */
  static final String WORK_DIR = "NIGHTSHIFT_WORK_DIR";

  private final ProcessExecutor processes;
  private final HttpExecutor http;
  private final EngineSettings settings;

  public StepLauncher(ProcessExecutor processes, HttpExecutor http, EngineSettings settings) {
    this.processes = processes;
    this.http = http;
    this.settings = settings;
  }

  @Override
  public Started start(Attempt ctx, LineSink sink) throws IOException {
    StepAction action = ctx.spec().action();
    Duration timeout = timeout(ctx.spec());
    Set<String> secrets = Params.secrets(ctx.run().template(), ctx.run().params());
    if (action instanceof StepAction.Command c) {
      return process(ctx, List.of("/bin/sh", "-c", c.command()), timeout, secrets, sink);
    }
    if (action instanceof StepAction.Script s) {
      ScriptFile file = ScriptFile.write(workDir(ctx.run()), s.interpreter(), s.script());
      return process(ctx, file.argv(), timeout, secrets, sink);
    }
    Map<String, String> values = environment(ctx);
    secrets = withSubstitutedForms(secrets);
    if (action instanceof StepAction.Http h) {
      return call(
          ctx,
          h.method(),
          h.url(),
          h.headers(),
          h.body(),
          h.expectStatus(),
          timeout,
          secrets,
          values,
          sink);
    }
    if (action instanceof StepAction.Notify n) {
      return call(
          ctx,
          n.method(),
          n.url(),
          n.headers(),
          n.body(),
          io.nightshift.executor.HttpSpec.ANY_2XX,
          timeout,
          secrets,
          values,
          sink);
    }
    throw new IllegalStateException(
        "step kind " + ctx.spec().kind() + " is not executed by a launcher");
  }

  /** A JSON object or array: such a body goes out as {@code application/json} unless told. */
  static boolean isJson(String body) {
    if (body == null) {
      return false;
    }
    String trimmed = body.strip();
    if (!(trimmed.startsWith("{") || trimmed.startsWith("["))) {
      return false;
    }
    try {
      io.vertx.core.json.Json.decodeValue(trimmed);
      return true;
    } catch (io.vertx.core.json.DecodeException e) {
      return false;
    }
  }

  private Started process(
      Attempt ctx, List<String> argv, Duration timeout, Set<String> secrets, LineSink sink)
      throws IOException {
    ProcessSpec spec =
        new ProcessSpec(
            argv,
            environment(ctx),
            workDir(ctx.run()),
            timeout,
            secrets,
            settings.maxLinesPerStep(),
            settings.maxLineLength());
    StepProcess process = processes.start(spec, sink);
    Launched launched =
        new Launched() {
          public CompletableFuture<io.nightshift.executor.Outcome> outcome() {
            return process.outcome();
          }

          public void cancel() {
            process.cancel();
          }

          @Override
          public void stop(String why) {
            process.stop(why);
          }
        };
    return new Started(launched, new ProcessId(process.processGroup(), process.startTicks()));
  }

  private Started call(
      Attempt ctx,
      String method,
      String url,
      Map<String, String> headers,
      String body,
      int expectStatus,
      Duration timeout,
      Set<String> secrets,
      Map<String, String> values,
      LineSink sink) {
    Map<String, String> rendered = new LinkedHashMap<>();
    headers.forEach((k, v) -> rendered.put(k, Substitution.header(v, values)));
    String renderedBody = Substitution.json(body, values);
    if (isJson(renderedBody)
        && rendered.keySet().stream().noneMatch("Content-Type"::equalsIgnoreCase)) {
      rendered.put("Content-Type", "application/json");
    }
    HttpSpec spec =
        new HttpSpec(
            method,
            URI.create(Substitution.url(url, values)),
            rendered,
            renderedBody,
            expectStatus,
            timeout,
            secrets,
            settings.maxLinesPerStep(),
            settings.maxLineLength());
    HttpCall call = http.start(spec, sink);
    Launched launched =
        new Launched() {
          public CompletableFuture<io.nightshift.executor.Outcome> outcome() {
            return call.outcome();
          }

          public void cancel() {
            call.cancel();
          }
        };
    return new Started(launched, null);
  }

  /**
   * The secrets plus the forms substitution gives them (percent-encoded in URLs, escaped in JSON,
   * line breaks turned to spaces in headers), so that a logged request line or error masks them
   * too.
   */
  static Set<String> withSubstitutedForms(Set<String> secrets) {
    Set<String> all = new LinkedHashSet<>(secrets);
    for (String secret : secrets) {
      all.add(Substitution.url("$s", Map.of("s", secret)));
      all.add(Substitution.jsonEscape(secret));
      all.add(Substitution.header("$s", Map.of("s", secret)));
    }
    return all;
  }

  Duration timeout(StepSpec spec) {
    return spec.timeoutSeconds() == null
        ? settings.defaultTimeout()
        : Duration.ofSeconds(spec.timeoutSeconds());
  }

  Path workDir(Run run) throws IOException {
    return new WorkDirs(settings.workRoot()).create(run.id());
  }

  /** Parameters plus the read-only system variables; the system ones win. */
  Map<String, String> environment(Attempt ctx) {
    Map<String, String> env = new LinkedHashMap<>(ctx.run().params());
    env.putAll(systemVariables(ctx));
    env.put(NODE, settings.node());
    env.put(WORK_DIR, new WorkDirs(settings.workRoot()).of(ctx.run().id()).toString());
    return env;
  }

  static Map<String, String> systemVariables(Attempt ctx) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("NIGHTSHIFT_RUN_ID", String.valueOf(ctx.run().id()));
    env.put("NIGHTSHIFT_TEMPLATE", ctx.run().template().name());
    env.put("NIGHTSHIFT_TEMPLATE_VERSION", String.valueOf(ctx.run().templateVersion()));
    env.put("NIGHTSHIFT_STEP", ctx.step().name());
    env.put("NIGHTSHIFT_ATTEMPT", String.valueOf(ctx.step().attempt()));
    env.put("NIGHTSHIFT_TRIGGERED_BY", ctx.run().triggeredBy());
    env.put(STEP_RUN_ID, String.valueOf(ctx.step().id()));
    if (ctx.run().job() != null) {
      env.put("NIGHTSHIFT_JOB", ctx.run().job());
    }
    return env;
  }

  @Override
  public int killLeftovers(long stepRunId) {
    return processes.killLeftovers(stepRunId);
  }

  /** The start of every run directory under work root {@code root} ({@code <root>/runs/}). */
  static String runsUnder(Path root) {
    return new WorkDirs(root).runs() + "/";
  }

  /**
   * The steps whose cgroups an earlier incarnation of this node left, and those of the processes on
   * this host tagged with this node's name and a run directory under its work root (see {@link
   * #NODE}): another installation's node of the same name has another root.
   */
  @Override
  public java.util.Set<Long> leftovers() {
    java.util.Set<Long> steps = new java.util.TreeSet<>(processes.leftoverSteps());
    String runs = runsUnder(settings.workRoot());
    for (Map<String, String> env :
        ProcessGroups.taggedEnvironments(Map.of(NODE, settings.node()))) {
      String id = env.get(STEP_RUN_ID);
      String dir = env.get(WORK_DIR);
      if (id != null && id.matches("[0-9]{1,18}") && dir != null && dir.startsWith(runs)) {
        steps.add(Long.parseLong(id));
      }
    }
    return steps;
  }

  @Override
  public void close() {
    processes.close();
  }
}
