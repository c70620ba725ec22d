package io.nightshift.scheduler.notify;

import io.nightshift.executor.Instants;
import io.nightshift.scheduler.job.JobRepository;
import io.nightshift.scheduler.job.StoredJob;
import io.nightshift.scheduler.run.EventRelay;
import io.nightshift.scheduler.run.Params;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.RunEventRepository;
import io.nightshift.scheduler.run.RunEvents;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.secrets.SecretKeyException;
import io.nightshift.scheduler.template.Webhook;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.jooq.DSLContext;

/**
 * Turns claimed run and approval events into webhook deliveries, in the claim's transaction: each
 * webhook of the run's template and job that wants the event gets one delivery with a masked JSON
 * payload and its own {@code deliveryId} (the idempotency key of every attempt). A run that fails
 * and then rolls back gets {@code run.failed} first, then the rollback events. A job's fire that
 * started no run goes to the job's own webhooks ({@code job.fire_*}).
 */
public final class WebhookFanOut implements EventRelay.Claimed {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(WebhookFanOut.class);

  private final RunRepository runs;
  private final JobRepository jobs;
  private final Clock clock;
  private final String publicUrl;

  /** Runs' fixed fields (template snapshot, job, values), by id; bounded. */
  private final Map<Long, Run> headers =
      java.util.Collections.synchronizedMap(
          new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Run> eldest) {
              return size() > 1024;
            }
          });

  /** {@code publicUrl} (null: none) makes payload links absolute. */
  public WebhookFanOut(RunRepository runs, JobRepository jobs, Clock clock, String publicUrl) {
    this.runs = runs;
    this.jobs = jobs;
    this.clock = clock;
    this.publicUrl = publicUrl;
  }

  @Override
  public boolean claimed(DSLContext tx, List<RunEventRepository.Stored> events) {
    // Read in the claim's transaction (no second connection while it holds one); the runs not
    // kept yet and their jobs' webhooks in one read each per claimed batch, not one per event.
    Map<Long, Run> batch = new java.util.HashMap<>();
    List<Long> unknown = new java.util.ArrayList<>();
    for (RunEventRepository.Stored stored : events) {
      if (RunEvents.isRun(stored.body()) || RunEvents.isApproval(stored.body())) {
        Run known = headers.get(stored.runId());
        if (known != null) {
          batch.put(known.id(), known);
        } else if (!unknown.contains(stored.runId())) {
          unknown.add(stored.runId());
        }
      }
    }
    Map<Long, Run> read = runs.in(tx).headers(unknown);
    headers.putAll(read);
    batch.putAll(read);
    Map<String, List<Webhook>> jobHooks = new java.util.HashMap<>();
    new JobRepository(tx)
        .findAll(
            batch.values().stream()
                .map(Run::job)
                .filter(java.util.Objects::nonNull)
                .distinct()
                .toList())
        .forEach((name, job) -> jobHooks.put(name, job.spec().webhooks()));
    Function<String, List<Webhook>> hooksOfJob = job -> jobHooks.getOrDefault(job, List.of());
    int deliveries = 0;
    JobRepository jobsInTx = new JobRepository(tx);
    for (RunEventRepository.Stored stored : events) {
      JsonObject event = stored.body();
      Run run = batch.get(stored.runId());
      if (RunEvents.isFire(event)) {
        deliveries += fanOutFire(tx, stored, fireJob(jobsInTx, event));
      } else if (RunEvents.isRun(event)) {
        RunStatus status = RunStatus.valueOf(event.getString("status"));
        if (status.terminal()) {
          headers.remove(stored.runId());
        }
        if (status == RunStatus.ROLLING_BACK) {
          deliveries += fanOut(tx, stored, run, "run.failed", hooksOfJob);
        }
        deliveries +=
            fanOut(tx, stored, run, "run." + status.name().toLowerCase(Locale.ROOT), hooksOfJob);
      } else if (RunEvents.isApproval(event)) {
        deliveries += fanOut(tx, stored, run, "approval." + event.getString("event"), hooksOfJob);
      }
    }
    return deliveries > 0;
  }

  /** Writes the deliveries of one event; returns how many. */
  private int fanOut(
      DSLContext tx,
      RunEventRepository.Stored stored,
      Run run,
      String name,
      Function<String, List<Webhook>> hooksOfJob) {
    if (run == null || !Webhook.EVENTS.contains(name)) {
      return 0;
    }
    Map<String, Webhook> hooks = hooks(run, hooksOfJob);
    JsonObject payload = null;
    int written = 0;
    for (Map.Entry<String, Webhook> hook : hooks.entrySet()) {
      if (!hook.getValue().wants(name)) {
        continue;
      }
      if (payload == null) {
        payload = payload(name, run, stored.body());
      }
      String deliveryId = UUID.randomUUID().toString();
      WebhookOutboxRepository.add(
          tx,
          stored.id(),
          run.id(),
          hook.getKey(),
          hook.getValue().url(),
          name,
          payload.copy().put("deliveryId", deliveryId).encode(),
          deliveryId,
          clock.instant());
      written++;
    }
    return written;
  }

  /**
   * The job of a fire event, or null: deleted since, or its stored secrets sealed with a key this
   * node lacks (its webhooks' secrets cannot be read to sign with: said once per event, not a
   * failed relay batch).
   */
  private static StoredJob fireJob(JobRepository jobs, JsonObject event) {
    try {
      return jobs.find(event.getLong("jobId")).orElse(null);
    } catch (SecretKeyException unreadable) {
      log.warn(
          "{} of job {} not sent to its webhooks: {}",
          event.getString("event"),
          event.getLong("jobId"),
          unreadable.getMessage());
      return null;
    }
  }

  /**
   * Writes the deliveries of a job's fire event to the job's webhooks that want it; returns how
   * many. They go in order per job and webhook ({@link #fireHook}).
   */
  private int fanOutFire(DSLContext tx, RunEventRepository.Stored stored, StoredJob job) {
    JsonObject event = stored.body();
    String name = event.getString("event");
    if (job == null || !Webhook.EVENTS.contains(name)) {
      return 0; // the job was deleted since
    }
    List<Webhook> own = job.spec().webhooks();
    JsonObject payload =
        new JsonObject()
            .put("event", name)
            .put("eventId", stored.id())
            .put("job", job.spec().name())
            .put("template", job.spec().template())
            .put("scheduledAt", event.getString("scheduledAt"))
            .put("reason", event.getString("reason"))
            .put("otherRun", event.getLong("otherRun"))
            .put("at", event.getString("ts"))
            .put(
                "link",
                (publicUrl == null ? "" : publicUrl)
                    + "/api/v1/jobs/"
                    + job.spec().name()
                    + "/fires");
    int written = 0;
    for (int i = 0; i < own.size(); i++) {
      if (!own.get(i).wants(name)) {
        continue;
      }
      String deliveryId = UUID.randomUUID().toString();
      WebhookOutboxRepository.add(
          tx,
          stored.id(),
          RunEvents.NO_RUN,
          fireHook(job.id(), i),
          own.get(i).url(),
          name,
          payload.copy().put("deliveryId", deliveryId).encode(),
          deliveryId,
          clock.instant());
      written++;
    }
    return written;
  }

  /**
   * The key of a job's webhook for its fire events ({@code job:<job id>:<i>}): stored under no run,
   * deliveries of one job to one webhook go in event order, apart from other jobs'.
   */
  static String fireHook(long jobId, int index) {
    return "job:" + jobId + ":" + index;
  }

  /** The job id of a {@link #fireHook} key; null for any other key. */
  static Long jobOfFireHook(String hook) {
    String[] parts = hook.split(":");
    if (parts.length != 3 || !parts[0].equals("job")) {
      return null;
    }
    try {
      return Long.parseLong(parts[1]);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The webhook a delivery of a fire event goes to, as its job defines it now (its secret is never
   * stored); null when the job or that webhook is gone or its URL changed.
   */
  Webhook ofFire(String hook, String url) {
    Long job = jobOfFireHook(hook);
    if (job == null) {
      return null;
    }
    int index = Integer.parseInt(hook.substring(hook.lastIndexOf(':') + 1));
    List<Webhook> own;
    try {
      own = jobs.find(job).map(j -> j.spec().webhooks()).orElse(List.of());
    } catch (SecretKeyException unreadable) {
      return null;
    }
    Webhook found = index < own.size() ? own.get(index) : null;
    return found != null && found.url().equals(url) ? found : null;
  }

  /** The run's webhooks by key: the template's ({@code template:i}), then the job's. */
  Map<String, Webhook> hooks(Run run) {
    return hooks(run, job -> jobs.find(job).map(j -> j.spec().webhooks()).orElse(List.of()));
  }

  private static Map<String, Webhook> hooks(Run run, Function<String, List<Webhook>> hooksOfJob) {
    Map<String, Webhook> hooks = new LinkedHashMap<>();
    List<Webhook> own = run.template().webhooks();
    for (int i = 0; i < own.size(); i++) {
      hooks.put("template:" + i, own.get(i));
    }
    if (run.job() != null) {
      List<Webhook> job = hooksOfJob.apply(run.job());
      for (int i = 0; i < job.size(); i++) {
        hooks.put("job:" + i, job.get(i));
      }
    }
    return hooks;
  }

  private JsonObject payload(String name, Run run, JsonObject event) {
    JsonObject payload =
        new JsonObject()
            .put("event", name)
            .put("eventId", event.getLong("eventId"))
            .put("runId", run.id())
            .put("template", run.template().name())
            .put("templateVersion", run.templateVersion())
            .put("job", run.job())
            .put("triggeredBy", run.triggeredBy())
            .put(
                "params",
                new JsonObject(new LinkedHashMap<>(Params.masked(run.template(), run.params()))))
            .put("at", event.getString("ts", Instants.format(clock.instant())))
            .put("link", (publicUrl == null ? "" : publicUrl) + "/api/v1/runs/" + run.id());
    if (RunEvents.isApproval(event)) {
      return payload
          .put("status", event.getString("runStatus"))
          .put("approval", event.getJsonObject("approval"));
    }
    return payload
        .put("status", event.getString("status"))
        .put("previousStatus", event.getString("previousStatus"))
        .put("error", event.getString("error"));
  }
}
