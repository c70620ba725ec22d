package io.nightshift.scheduler.notify;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** How long a failing webhook delivery is tried, and what its record says of a failed send. */
class WebhookRetryTest {
  @Test
  void the_pause_doubles_from_the_first_retry_up_to_ten_minutes() {
    Duration first = Duration.ofSeconds(1);
    assertThat(Notifier.retryDelay(first, 1)).isEqualTo(Duration.ofSeconds(1));
    assertThat(Notifier.retryDelay(first, 2)).isEqualTo(Duration.ofSeconds(2));
    assertThat(Notifier.retryDelay(first, 3)).isEqualTo(Duration.ofSeconds(4));
    assertThat(Notifier.retryDelay(first, 9)).isEqualTo(Duration.ofSeconds(256));
    assertThat(Notifier.retryDelay(first, 10)).isEqualTo(Duration.ofSeconds(512));
    assertThat(Notifier.retryDelay(first, 11)).isEqualTo(Duration.ofMinutes(10));
    assertThat(Notifier.retryDelay(first, 1000)).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void a_delivery_is_tried_for_about_half_an_hour_so_a_receiver_restart_misses_nothing() {
    Duration tried =
        IntStream.range(1, Notifier.MAX_ATTEMPTS)
            .mapToObj(attempt -> Notifier.retryDelay(Duration.ofSeconds(1), attempt))
            .reduce(Duration.ZERO, Duration::plus);
    assertThat(tried).isBetween(Duration.ofMinutes(25), Duration.ofMinutes(35));
  }

  @Test
  void only_answers_another_try_may_change_are_tried_again() {
    assertThat(Notifier.refusedForGood(null)).as("no answer").isFalse();
    assertThat(Notifier.refusedForGood(500)).isFalse();
    assertThat(Notifier.refusedForGood(503)).isFalse();
    assertThat(Notifier.refusedForGood(408)).isFalse();
    assertThat(Notifier.refusedForGood(425)).isFalse();
    assertThat(Notifier.refusedForGood(429)).isFalse();
    assertThat(Notifier.refusedForGood(400)).isTrue();
    assertThat(Notifier.refusedForGood(404)).isTrue();
    assertThat(Notifier.refusedForGood(413)).isTrue();
    assertThat(Notifier.refusedForGood(422)).isTrue();
  }

  @Test
  void a_failed_send_names_the_receiver_and_the_reason_not_the_clients_wrapper() {
    assertThat(
            Notifier.sendFailure(
                "http://hooks.example:8080/x?token=abc",
                new CompletionException(new ConnectException())))
        .isEqualTo("cannot deliver to hooks.example:8080: connection refused or unreachable");
    // What the JDK's client gives for a port nothing listens on (seen on the console's job page
    // as "ClosedChannelException").
    ConnectException refused = new ConnectException();
    refused.initCause(new java.nio.channels.ClosedChannelException());
    assertThat(Notifier.sendFailure("http://127.0.0.1:9/hook", new CompletionException(refused)))
        .isEqualTo("cannot deliver to 127.0.0.1:9: connection refused or unreachable");
    ConnectException unresolved = new ConnectException();
    unresolved.initCause(new java.nio.channels.UnresolvedAddressException());
    assertThat(
            Notifier.sendFailure(
                "http://hooks.exmaple:8080/x", new CompletionException(unresolved)))
        .isEqualTo("cannot deliver to hooks.exmaple:8080: host not found");
    assertThat(
            Notifier.sendFailure(
                "https://user:pw@hooks.example/x",
                new CompletionException(new HttpTimeoutException("request timed out"))))
        .isEqualTo("cannot deliver to hooks.example: no answer in time (request timed out)")
        .doesNotContain("pw");
  }
}
