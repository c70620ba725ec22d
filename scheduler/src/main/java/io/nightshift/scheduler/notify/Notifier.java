package io.nightshift.scheduler.notify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.nightshift.executor.DaemonThreads;
import io.nightshift.executor.Instants;
import io.nightshift.scheduler.approval.Approval;
import io.nightshift.scheduler.job.JobRepository;
import io.nightshift.scheduler.run.Params;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.RunListener;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.template.Webhook;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the webhooks of a run's template and job: a masked JSON payload, signed with HMAC-SHA256
 * when a secret is set, retried with backoff; every attempt is recorded. A notification never
 * blocks or fails a run.
 */
public final class Notifier implements RunListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Notifier.class);
  public static final int MAX_ATTEMPTS = 4;

  private final RunRepository runs;
  private final JobRepository jobs;
  private final WebhookRepository deliveries;
  private final Clock clock;
  private final Duration firstRetry;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ExecutorService work =
      Executors.newFixedThreadPool(2, new DaemonThreads("nightshift-webhooks-"));
  private final ScheduledExecutorService timers =
      Executors.newSingleThreadScheduledExecutor(new DaemonThreads("nightshift-webhook-retry-"));
  private final Counter failures;
  private final String publicUrl;
  private final Map<Long, RunStatus> lastStatus = new ConcurrentHashMap<>();

  /** What a run's payloads need never changes after it starts: read it once per run. */
  private final Map<Long, Run> known = new ConcurrentHashMap<>();

  /**
   * {@code firstRetry} doubles after each failed attempt (1 s, 2 s, 4 s by default); {@code
   * publicUrl} (null: none) makes payload links absolute.
   */
  public Notifier(
      RunRepository runs,
      JobRepository jobs,
      WebhookRepository deliveries,
      Clock clock,
      Duration firstRetry,
      MeterRegistry registry,
      String publicUrl) {
    this.publicUrl = publicUrl;
    this.failures =
        Counter.builder("nightshift.webhook.failures")
            .description(
                "webhook delivery attempts that failed (no connection, timeout or a non-2xx"
                    + " answer); each retry counts")
            .register(registry);
    this.runs = runs;
    this.jobs = jobs;
    this.deliveries = deliveries;
    this.clock = clock;
    this.firstRetry = firstRetry;
  }

  @Override
  public void runChanged(long runId, RunStatus status, String error) {
    RunStatus previous = lastStatus.put(runId, status);
    if (status.terminal()) {
      lastStatus.remove(runId);
    }
    work.execute(
        () ->
            safely(
                () -> {
                  Run run = status.terminal() ? known.remove(runId) : null;
                  if (run == null) {
                    run = snapshot(runId);
                  }
                  if (status == RunStatus.ROLLING_BACK) {
                    // The run failed: say so when it happens (subscribers of run.failed must hear
                    // of it), then the rollback events follow.
                    send(run, "run.failed", runPayload("run.failed", run, status, previous, error));
                  }
                  String event = "run." + status.name().toLowerCase(Locale.ROOT);
                  send(run, event, runPayload(event, run, status, previous, error));
                }));
  }

  private JsonObject runPayload(
      String event, Run run, RunStatus status, RunStatus previous, String error) {
    return payload(event, run)
        .put("status", status.name())
        .put("previousStatus", previous == null ? null : previous.name())
        .put("error", error);
  }

  @Override
  public void approvalChanged(String event, Approval approval) {
    // The run's status as stored now (WAITING_APPROVAL while it waits), read before handing over.
    RunStatus current = runs.get(approval.runId()).status();
    work.execute(
        () ->
            safely(
                () -> {
                  Run run = snapshot(approval.runId());
                  JsonObject payload =
                      payload(event, run)
                          .put("status", current.name())
                          .put(
                              "approval",
                              new JsonObject()
                                  .put("id", approval.id())
                                  .put("step", approval.step())
                                  .put("status", approval.status().name())
                                  .put("approvers", new JsonArray(approval.approvers()))
                                  .put("message", approval.message())
                                  .put("expiresAt", Instants.format(approval.expiresAt()))
                                  .put("decidedBy", approval.decidedBy())
                                  .put("comment", approval.comment()));
                  send(run, event, payload);
                }));
  }

  private Run snapshot(long runId) {
    return known.computeIfAbsent(runId, runs::get);
  }

  private JsonObject payload(String event, Run run) {
    return new JsonObject()
        .put("event", event)
        .put("runId", run.id())
        .put("template", run.template().name())
        .put("templateVersion", run.templateVersion())
        .put("job", run.job())
        .put("triggeredBy", run.triggeredBy())
        .put(
            "params",
            new JsonObject(new LinkedHashMap<>(Params.masked(run.template(), run.params()))))
        .put("at", Instants.format(clock.instant()))
        .put("link", (publicUrl == null ? "" : publicUrl) + "/api/v1/runs/" + run.id());
  }

  private void send(Run run, String event, JsonObject payload) {
    List<Webhook> hooks = new ArrayList<>(run.template().webhooks());
    if (run.job() != null) {
      jobs.find(run.job()).ifPresent(job -> hooks.addAll(job.spec().webhooks()));
    }
    for (Webhook hook : hooks) {
      if (hook.wants(event)) {
        String body = payload.copy().put("deliveryId", UUID.randomUUID().toString()).encode();
        attempt(run.id(), event, hook, body, 1);
      }
    }
  }

  private void attempt(long runId, String event, Webhook hook, String body, int attempt) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(hook.url()))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .header("User-Agent", "nightshift")
            .header("X-Nightshift-Event", event)
            .header("X-Nightshift-Attempt", String.valueOf(attempt))
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    if (hook.secret() != null) {
      // Signed with the time, so a receiver can refuse a replayed delivery (README "Webhooks").
      String timestamp = String.valueOf(clock.instant().getEpochSecond());
      request.header("X-Nightshift-Timestamp", timestamp);
      request.header(
          "X-Nightshift-Signature", "sha256=" + sign(hook.secret(), timestamp + "." + body));
    }
    client
        .sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
        .whenCompleteAsync(
            (response, failure) ->
                safely(
                    () -> {
                      Integer code = response == null ? null : response.statusCode();
                      String error =
                          failure != null
                              ? "cannot deliver: "
                                  + failure.getClass().getSimpleName()
                                  + (failure.getMessage() == null ? "" : " " + failure.getMessage())
                              : code >= 200 && code < 300 ? null : "answered " + code;
                      deliveries.record(
                          runId, event, hook.url(), attempt, code, error, clock.instant());
                      if (error != null) {
                        failures.increment();
                      }
                      if (error != null && attempt < MAX_ATTEMPTS) {
                        long delay = firstRetry.toMillis() << (attempt - 1);
                        timers.schedule(
                            () ->
                                work.execute(
                                    () ->
                                        safely(
                                            () -> attempt(runId, event, hook, body, attempt + 1))),
                            delay,
                            TimeUnit.MILLISECONDS);
                      } else if (error != null) {
                        log.warn(
                            "webhook {} for run {} ({}) gave up after {} attempts: {}",
                            hook.url(),
                            runId,
                            event,
                            attempt,
                            error);
                      }
                    }),
            work);
  }

  /** Hex HMAC-SHA256 of {@code text} ({@code timestamp.body}) with the webhook's secret. */
  public static String sign(String secret, String text) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  private static void safely(Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      log.warn("webhook notification failed", e);
    }
  }

  @Override
  public void close() {
    timers.shutdownNow();
    work.shutdownNow();
  }
}
