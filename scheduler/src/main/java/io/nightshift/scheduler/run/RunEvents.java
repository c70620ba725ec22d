package io.nightshift.scheduler.run;

import io.nightshift.executor.Instants;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * The bodies of run, step and approval events (the {@code nightshift:events} contract), built where
 * the change is written so that each event carries what the database says, previous status
 * included. The relay adds {@code eventId}, the idempotency key, when it publishes them.
 */
public final class RunEvents {
  private RunEvents() {}

  public static JsonObject run(
      long runId, RunStatus status, RunStatus previous, String error, Instant at) {
    return new JsonObject()
        .put("type", "run")
        .put("runId", runId)
        .put("status", status.name())
        .put("previousStatus", previous == null ? null : previous.name())
        .put("error", error)
        .put("ts", Instants.format(at));
  }

  public static JsonObject step(
      long runId,
      long stepRunId,
      String name,
      int attempt,
      StepStatus status,
      StepStatus previous,
      Instant at) {
    return new JsonObject()
        .put("type", "step")
        .put("runId", runId)
        .put("stepRunId", stepRunId)
        .put("step", name)
        .put("attempt", attempt)
        .put("status", status.name())
        .put("previousStatus", previous == null ? null : previous.name())
        .put("ts", Instants.format(at));
  }

  public static JsonObject step(StepRun step, StepStatus status, Instant at) {
    return step(step.runId(), step.id(), step.name(), step.attempt(), status, step.status(), at);
  }

  /**
   * A {@code step} event for each attempt of {@code run} that has started, with its status now
   * ({@code previousStatus} null): for a follower that may have missed changes.
   */
  public static java.util.List<JsonObject> standing(Run run) {
    return run.attempts().stream()
        .filter(a -> a.status() != StepStatus.PENDING)
        .map(
            a ->
                step(
                    run.id(),
                    a.id(),
                    a.name(),
                    a.attempt(),
                    a.status(),
                    null,
                    a.finishedAt() != null
                        ? a.finishedAt()
                        : a.startedAt() != null ? a.startedAt() : run.createdAt()))
        .toList();
  }

  /**
   * The run id job events are stored under ({@code run_event.run_id}): they are of no run, and
   * their webhook deliveries go in order per job ({@link #fire}).
   */
  public static final long NO_RUN = 0;

  /**
   * A fire of job {@code jobId} that started no run, for the job's webhooks: {@code event} is
   * {@code job.fire_failed} (it could not start: the reason says why), {@code job.fire_skipped}
   * (another run of the job was still active: {@code otherRun}) or {@code job.fire_missed} (it came
   * too late).
   */
  public static JsonObject fire(
      String event,
      long jobId,
      String job,
      Instant scheduledAt,
      String reason,
      Long otherRun,
      Instant at) {
    return new JsonObject()
        .put("type", "fire")
        .put("event", event)
        .put("jobId", jobId)
        .put("job", job)
        .put("scheduledAt", Instants.format(scheduledAt))
        .put("reason", reason)
        .put("otherRun", otherRun)
        .put("ts", Instants.format(at));
  }

  /** True for a job's fire event ({@link #fire}). */
  public static boolean isFire(JsonObject event) {
    return "fire".equals(event.getString("type"));
  }

  /** True for a run status event. */
  public static boolean isRun(JsonObject event) {
    return "run".equals(event.getString("type"));
  }

  /** True for an approval event. */
  public static boolean isApproval(JsonObject event) {
    return "approval".equals(event.getString("type"));
  }
}
