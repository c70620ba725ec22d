package io.nightshift.scheduler.notify;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.nightshift.executor.DaemonThreads;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.RunEvents;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.template.Webhook;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the webhook deliveries of the outbox ({@link WebhookFanOut} writes them): a masked JSON
 * payload, signed with HMAC-SHA256 and a timestamp when the webhook has a secret, retried with
 * backoff from a stored time (any node picks a retry up, and a delivery a crashed node held is
 * taken over when its claim runs out). Every attempt is recorded; the {@code deliveryId} in the
 * payload stays the same across attempts so receivers can drop a repeat. A notification never
 * blocks or fails a run.
 */
public final class Notifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Notifier.class);

  /**
   * Tries of a delivery in all: a receiver restarting or briefly down misses nothing (with the
   * default first retry of 1 s, retries go on for about 27 minutes: {@link #retryDelay}).
   */
  public static final int MAX_ATTEMPTS = 12;

  /** The longest pause between two tries of a delivery. */
  static final Duration MAX_RETRY_DELAY = Duration.ofMinutes(10);

  private static final int IN_FLIGHT = 16;

  private final RunRepository runs;
  private final WebhookFanOut hooks;
  private final WebhookRepository deliveries;
  private final WebhookOutboxRepository outbox;
  private final Clock clock;
  private final Duration firstRetry;
  private final String owner;
  private final Duration claim;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(new DaemonThreads("nightshift-webhooks-"));
  private final ExecutorService answers =
      Executors.newFixedThreadPool(2, new DaemonThreads("nightshift-webhook-answers-"));
  private final Semaphore inFlight = new Semaphore(IN_FLIGHT);
  private final AtomicBoolean pending = new AtomicBoolean();
  private final Counter failures;
  private volatile Instant lastPurge = Instant.EPOCH;

  /** Finished deliveries stay this long in the outbox (each attempt's record stays on the run). */
  static final Duration KEEP_DONE = Duration.ofDays(1);

  /**
   * {@code firstRetry} doubles after each failed attempt, up to {@link #MAX_RETRY_DELAY}; {@code
   * owner} names this node instance in claims, each held for {@code claim} (a delivery a crashed
   * node held is sent again once it runs out; longer than one send may take); the outbox is polled
   * every {@code poll}.
   */
  public Notifier(
      RunRepository runs,
      WebhookFanOut hooks,
      WebhookRepository deliveries,
      WebhookOutboxRepository outbox,
      Clock clock,
      Duration firstRetry,
      MeterRegistry registry,
      String owner,
      Duration claim,
      Duration poll) {
    this.failures =
        Counter.builder("nightshift.webhook.failures")
            .description(
                "webhook delivery attempts that failed (no connection, timeout or a non-2xx"
                    + " answer); each retry counts")
            .register(registry);
    this.runs = runs;
    this.hooks = hooks;
    this.deliveries = deliveries;
    this.outbox = outbox;
    this.clock = clock;
    this.firstRetry = firstRetry;
    this.owner = owner;
    this.claim = claim;
    thread.scheduleWithFixedDelay(
        this::wake, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Deliveries may be due: look soon (coalesced). */
  public void wake() {
    if (pending.compareAndSet(false, true)) {
      try {
        thread.execute(this::sendDue);
      } catch (java.util.concurrent.RejectedExecutionException closed) {
        pending.set(false);
      }
    }
  }

  private void sendDue() {
    pending.set(false);
    try {
      Instant now = clock.instant();
      if (Duration.between(lastPurge, now).toMinutes() >= 1) {
        lastPurge = now;
        outbox.purgeDoneBefore(now.minus(KEEP_DONE));
      }
      int room = inFlight.availablePermits();
      if (room == 0) {
        return;
      }
      for (WebhookOutboxRepository.Pending delivery : outbox.due(now, room)) {
        if (!inFlight.tryAcquire()) {
          return;
        }
        if (outbox.claim(delivery.id(), owner, now, now.plus(claim))) {
          send(delivery);
        } else {
          inFlight.release();
        }
      }
    } catch (RuntimeException e) {
      log.warn("sending webhooks failed (retried at the next poll): {}", e.toString());
    }
  }

  private void send(WebhookOutboxRepository.Pending delivery) {
    int attempt = delivery.attempts() + 1;
    Webhook hook;
    try {
      hook = resolve(delivery);
    } catch (RuntimeException e) {
      inFlight.release();
      throw e;
    }
    if (hook == null) {
      inFlight.release();
      if (delivery.runId() == RunEvents.NO_RUN) {
        log.warn(
            "webhook {} ({}) not sent: the job or its webhook was removed or changed before"
                + " delivery",
            delivery.url(),
            delivery.event());
      }
      record(
          delivery,
          attempt,
          null,
          "not sent: the webhook was removed or changed before delivery",
          clock.instant());
      outbox.done(delivery.id(), owner, attempt, "gave-up", clock.instant());
      return;
    }
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(delivery.url()))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .header("User-Agent", "nightshift")
            .header("X-Nightshift-Event", delivery.event())
            .header("X-Nightshift-Delivery", delivery.deliveryId())
            .header("X-Nightshift-Attempt", String.valueOf(attempt))
            .POST(HttpRequest.BodyPublishers.ofString(delivery.body(), StandardCharsets.UTF_8));
    if (hook.secret() != null) {
      // Signed with the time, so a receiver can refuse a replayed delivery (README "Webhooks").
      String timestamp = String.valueOf(clock.instant().getEpochSecond());
      request.header("X-Nightshift-Timestamp", timestamp);
      request.header(
          "X-Nightshift-Signature",
          "sha256=" + sign(hook.secret(), timestamp + "." + delivery.body()));
    }
    client
        .sendAsync(request.build(), HttpResponse.BodyHandlers.discarding())
        .whenCompleteAsync(
            (response, failure) -> {
              try {
                answered(delivery, attempt, response, failure);
              } catch (RuntimeException e) {
                log.warn("cannot record webhook delivery {}: {}", delivery.id(), e.toString());
              } finally {
                inFlight.release();
                wake();
              }
            },
            answers);
  }

  /**
   * Records an attempt for the run's {@code webhookDeliveries}, or, for a job's fire event (of no
   * run), for the job's ({@code GET /jobs/{name}/deliveries}).
   */
  private void record(
      WebhookOutboxRepository.Pending delivery,
      int attempt,
      Integer code,
      String error,
      Instant at) {
    Long job =
        delivery.runId() == RunEvents.NO_RUN ? WebhookFanOut.jobOfFireHook(delivery.hook()) : null;
    if (delivery.runId() != RunEvents.NO_RUN || job != null) {
      deliveries.record(
          delivery.runId(), job, delivery.event(), delivery.url(), attempt, code, error, at);
    }
  }

  /** The webhook as the run's template or job defines it now (its secret is never stored). */
  private Webhook resolve(WebhookOutboxRepository.Pending delivery) {
    if (delivery.runId() == RunEvents.NO_RUN) {
      return hooks.ofFire(delivery.hook(), delivery.url());
    }
    Run run = runs.header(delivery.runId()).orElse(null);
    if (run == null) {
      return null;
    }
    Webhook hook = hooks.hooks(run).get(delivery.hook());
    return hook != null && hook.url().equals(delivery.url()) ? hook : null;
  }

  private void answered(
      WebhookOutboxRepository.Pending delivery,
      int attempt,
      HttpResponse<Void> response,
      Throwable failure) {
    Integer code = response == null ? null : response.statusCode();
    String error =
        failure != null
            ? sendFailure(delivery.url(), failure)
            : code >= 200 && code < 300 ? null : "answered " + code;
    Instant now = clock.instant();
    record(delivery, attempt, code, error, now);
    if (error == null) {
      outbox.done(delivery.id(), owner, attempt, "delivered", now);
      return;
    }
    failures.increment();
    if (attempt < MAX_ATTEMPTS && !refusedForGood(code)) {
      outbox.retryAt(delivery.id(), owner, attempt, now.plus(retryDelay(firstRetry, attempt)));
    } else {
      log.warn(
          "webhook {} for {} ({}) gave up after {} attempts: {}",
          delivery.url(),
          delivery.runId() == RunEvents.NO_RUN ? "a job's fire" : "run " + delivery.runId(),
          delivery.event(),
          attempt,
          error);
      outbox.done(delivery.id(), owner, attempt, "gave-up", now);
    }
  }

  /**
   * Whether the receiver refused the delivery in a way another try cannot change (a 4xx answer
   * other than 408, 425 and 429): trying it for half an hour would hold the run's later events to
   * that webhook back, as they go out in order.
   */
  static boolean refusedForGood(Integer code) {
    return code != null && code >= 400 && code < 500 && code != 408 && code != 425 && code != 429;
  }

  /**
   * The pause after failed try {@code attempt} (from 1): {@code first}, doubling after each try, at
   * most {@link #MAX_RETRY_DELAY} (1 s, 2 s, 4 s, ... 8.5 min, then 10 min by default).
   */
  static Duration retryDelay(Duration first, int attempt) {
    Duration delay = first;
    for (int i = 1; i < attempt && delay.compareTo(MAX_RETRY_DELAY) < 0; i++) {
      delay = delay.multipliedBy(2);
    }
    return delay.compareTo(MAX_RETRY_DELAY) > 0 ? MAX_RETRY_DELAY : delay;
  }

  /**
   * Why a send failed, for the delivery's record and the log: a refused connection or a timeout
   * anywhere in the chain (the JDK's client reports a refused connection as a ConnectException
   * around a ClosedChannelException, which alone says nothing), else the innermost cause (not the
   * HTTP client's CompletionException around it); and the receiver's host and port.
   */
  static String sendFailure(String url, Throwable failure) {
    Throwable root = failure;
    for (int depth = 0; root.getCause() != null && depth < 16; depth++) {
      if (root instanceof java.net.ConnectException
          || root instanceof java.net.http.HttpTimeoutException) {
        break;
      }
      root = root.getCause();
    }
    String where;
    try {
      java.net.URI uri = java.net.URI.create(url);
      where = uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    } catch (IllegalArgumentException e) {
      where = "the receiver";
    }
    String reason =
        unresolved(failure)
            ? "host not found"
            : root instanceof java.net.ConnectException
                ? "connection refused or unreachable"
                : root instanceof java.net.http.HttpTimeoutException
                    ? "no answer in time"
                    : root.getClass().getSimpleName();
    return "cannot deliver to "
        + where
        + ": "
        + reason
        + (root.getMessage() == null || root.getMessage().isBlank()
            ? ""
            : " (" + root.getMessage() + ")");
  }

  /** Whether the receiver's name did not resolve (the JDK's client says so deep in the chain). */
  private static boolean unresolved(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.nio.channels.UnresolvedAddressException
          || t instanceof java.net.UnknownHostException) {
        return true;
      }
    }
    return false;
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

  @Override
  public void close() {
    thread.shutdownNow();
    answers.shutdownNow();
  }
}
