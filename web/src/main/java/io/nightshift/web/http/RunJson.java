package io.nightshift.web.http;

import io.nightshift.executor.Instants;
import io.nightshift.scheduler.run.Params;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.StepRun;
import io.nightshift.scheduler.run.StepStatus;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;

/** Runs as the API shows them; secret parameter values are always masked. */
final class RunJson {
  private RunJson() {}

  static JsonObject summary(Run run) {
    return new JsonObject()
        .put("id", run.id())
        .put("template", run.template().name())
        .put("templateVersion", run.templateVersion())
        .put("job", run.job())
        .put("trigger", run.trigger().json())
        .put("triggeredBy", run.triggeredBy())
        .put("status", run.status().name())
        .put(
            "params",
            new JsonObject(new LinkedHashMap<>(Params.masked(run.template(), run.params()))))
        .put("retryOf", run.retryOf())
        .put("error", run.error())
        .put("createdAt", Instants.format(run.createdAt()))
        .put("startedAt", Instants.format(run.startedAt()))
        .put("finishedAt", Instants.format(run.finishedAt()))
        .put("durationMs", durationMs(run.startedAt(), run.finishedAt()));
  }

  /** Milliseconds from start to end; null until both are known. */
  static Long durationMs(java.time.Instant startedAt, java.time.Instant finishedAt) {
    return startedAt == null || finishedAt == null
        ? null
        : java.time.Duration.between(startedAt, finishedAt).toMillis();
  }

  static JsonObject full(Run run) {
    JsonArray steps = new JsonArray();
    for (StepRun latest : run.steps()) {
      List<StepRun> attempts =
          run.attempts().stream().filter(a -> a.name().equals(latest.name())).toList();
      JsonObject step = step(latest);
      // From the run's own snapshot: the graph of a run whose template changed or went since.
      run.template()
          .step(latest.name())
          .ifPresent(
              spec -> step.put("needs", new JsonArray(new java.util.ArrayList<>(spec.needs()))));
      if (attempts.size() > 1) {
        JsonArray all = new JsonArray();
        attempts.forEach(a -> all.add(step(a)));
        step.put("attempts", all);
      }
      steps.add(step);
    }
    JsonArray rollback = new JsonArray();
    run.attempts().stream()
        .filter(a -> a.name().startsWith(RunRepository.UNDO_PREFIX))
        .sorted(java.util.Comparator.comparing(StepRun::id))
        .forEach(a -> rollback.add(step(a)));
    JsonObject json = summary(run).put("steps", steps);
    return rollback.isEmpty() ? json : json.put("rollback", rollback);
  }

  static JsonObject step(StepRun s) {
    return new JsonObject()
        .put("id", s.id())
        .put("name", s.name())
        .put("kind", s.kind().json())
        .put("status", s.status().name())
        .put("attempt", s.attempt())
        .put("exitCode", s.exitCode())
        .put("startedAt", Instants.format(s.startedAt()))
        .put("finishedAt", Instants.format(s.finishedAt()))
        .put("durationMs", durationMs(s.startedAt(), s.finishedAt()))
        .put("error", s.error())
        .put("node", s.node())
        // When a PENDING attempt is due (after a retry's backoff); none once it has started.
        .put(
            "nextAttemptAt",
            s.status() == StepStatus.PENDING ? Instants.format(s.notBefore()) : null)
        .put("lines", s.lineCount())
        .put("linesDropped", s.linesDropped());
  }
}
