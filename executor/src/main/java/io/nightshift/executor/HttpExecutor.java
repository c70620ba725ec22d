package io.nightshift.executor;

import io.nightshift.executor.Outcome.Status;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Runs HTTP steps with the JDK client: logs {@code GET url -> 200 in 12 ms} and the first lines of
 * the response body (cut and masked like process output), and succeeds iff the status is the
 * expected one. Redirects are not followed: a 3xx is a status like any other.
 */
public final class HttpExecutor {
  /** At most this many response body lines are logged. */
  public static final int MAX_BODY_LINES = 100;

  /** At most this many bytes of a response body are read. */
  static final int MAX_BODY_BYTES = 1 << 20;

  private final Clock clock;
  private final HttpClient client;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(new DaemonThreads("nightshift-http-"));
  private final ScheduledThreadPoolExecutor timers =
      new ScheduledThreadPoolExecutor(1, new DaemonThreads("nightshift-http-timer-"));

  public HttpExecutor(Clock clock) {
    this(clock, HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build());
  }

  public HttpExecutor(Clock clock, HttpClient client) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.client = Objects.requireNonNull(client, "client");
    timers.setRemoveOnCancelPolicy(true);
  }

  /** Sends the request; never throws for a bad request or an unreachable server (FAILED). */
  public HttpCall start(HttpSpec spec, LineSink sink) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(sink, "sink");
    Transcript transcript =
        new Transcript(
            sink, clock, new LineFormat(spec.maxLineLength(), spec.secrets()), Long.MAX_VALUE);
    Instant started = clock.instant();
    HttpCall call = new HttpCall(transcript, clock, started, threads);
    String what = spec.method() + " " + spec.url();

    HttpRequest request;
    try {
      request = request(spec);
    } catch (IllegalArgumentException e) {
      String error = "invalid request: " + e.getMessage();
      call.finish(Status.FAILED, error, what + " -> " + error);
      return call;
    }
    if (spec.timeout() != null) {
      String error = "timed out after " + Durations.human(spec.timeout());
      call.timer(
          timers.schedule(
              () ->
                  threads.execute(
                      () -> call.finish(Status.TIMED_OUT, error, what + " -> " + error)),
              spec.timeout().toMillis(),
              TimeUnit.MILLISECONDS));
    }
    long bodyLines = Math.min(spec.maxLines(), MAX_BODY_LINES);
    CompletableFuture<HttpResponse<Void>> exchange =
        client.sendAsync(
            request,
            info -> {
              transcript.system(
                  what
                      + " -> "
                      + info.statusCode()
                      + " in "
                      + Durations.between(started, clock.instant()).toMillis()
                      + " ms");
              return new BodyLines(transcript, bodyLines);
            });
    call.exchange(exchange);
    exchange.whenComplete(
        (response, failure) -> {
          if (failure == null) {
            int status = response.statusCode();
            if (spec.accepts(status)) {
              call.finish(Status.SUCCEEDED, null, null);
            } else {
              call.finish(
                  Status.FAILED,
                  "expected "
                      + (spec.expectStatus() == HttpSpec.ANY_2XX ? "2xx" : spec.expectStatus())
                      + ", got "
                      + status,
                  null);
            }
          } else {
            failed(call, spec, what, failure);
          }
        });
    return call;
  }

  private static HttpRequest request(HttpSpec spec) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(spec.url())
            .method(
                spec.method(),
                spec.body() == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(spec.body(), StandardCharsets.UTF_8));
    spec.headers().forEach(builder::header);
    if (spec.timeout() != null) {
      builder.timeout(spec.timeout());
    }
    return builder.build();
  }

  private static void failed(HttpCall call, HttpSpec spec, String what, Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof HttpTimeoutException && spec.timeout() != null) {
      String error = "timed out after " + Durations.human(spec.timeout());
      call.finish(Status.TIMED_OUT, error, what + " -> " + error);
      return;
    }
    String error = reason(spec.url(), cause);
    call.finish(Status.FAILED, error, what + " -> " + error);
  }

  /** A sentence for a failed exchange; the JDK client often gives exceptions without message. */
  static String reason(URI url, Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof UnresolvedAddressException) {
        return "connection failed: unknown host " + url.getHost();
      }
    }
    String detail = firstMessage(cause);
    if (cause instanceof ConnectException) {
      return "connection failed: cannot connect to "
          + url.getHost()
          + ":"
          + port(url)
          + (detail == null ? "" : " (" + detail + ")");
    }
    return "request failed: "
        + (detail == null
            ? cause.getClass().getSimpleName()
            : cause.getClass().getSimpleName() + ": " + detail);
  }

  private static int port(URI url) {
    if (url.getPort() != -1) {
      return url.getPort();
    }
    return "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
  }

  private static String firstMessage(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage();
      }
    }
    return null;
  }

  /**
   * Logs the first lines of a response body as they arrive and stops reading after the line cap or
   * {@link #MAX_BODY_BYTES}.
   */
  private static final class BodyLines implements BodySubscriber<Void> {
    private final Transcript transcript;
    private final long maxLines;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final LineSplitter splitter;
    private Flow.Subscription subscription;
    private long lines;
    private long bytes;
    private boolean stopped;

    BodyLines(Transcript transcript, long maxLines) {
      this.transcript = transcript;
      this.maxLines = maxLines;
      this.splitter = new LineSplitter(transcript.keep(), this::line);
    }

    private void line(String kept, long overflow) {
      if (stopped) {
        return;
      }
      if (lines >= maxLines) {
        stop("response body has more than " + maxLines + " lines; the rest is not shown");
        return;
      }
      lines++;
      transcript.output(LogLine.STDOUT, kept, overflow);
    }

    private void stop(String why) {
      stopped = true;
      transcript.system(why);
      subscription.cancel();
      done.complete(null);
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
      this.subscription = subscription;
      subscription.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
      if (stopped) {
        return;
      }
      for (ByteBuffer buffer : item) {
        int n = Math.min(buffer.remaining(), MAX_BODY_BYTES - (int) bytes);
        byte[] chunk = new byte[n];
        buffer.get(chunk);
        bytes += n;
        splitter.feed(chunk, 0, n);
        if (stopped) {
          return;
        }
        if (bytes >= MAX_BODY_BYTES) {
          splitter.finish();
          if (!stopped) {
            stop(
                "response body is longer than " + MAX_BODY_BYTES + " bytes; the rest is not shown");
          }
          return;
        }
      }
      subscription.request(1);
    }

    @Override
    public void onError(Throwable throwable) {
      if (!stopped) {
        stopped = true;
        done.completeExceptionally(throwable);
      }
    }

    @Override
    public void onComplete() {
      if (!stopped) {
        splitter.finish();
        stopped = true;
        done.complete(null);
      }
    }

    @Override
    public CompletionStage<Void> getBody() {
      return done;
    }
  }
}
