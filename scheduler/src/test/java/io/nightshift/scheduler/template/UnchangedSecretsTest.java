package io.nightshift.scheduler.template;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.error.Invalid;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Webhooks written back as shown: each masked URL and masked secret comes back from the one stored
 * webhook it stands for, never the URL of one with the secret of another.
 */
class UnchangedSecretsTest {
  private static final String MASK = UnchangedSecrets.MASK;
  private static final List<String> SUCCEEDED = List.of("run.succeeded");
  private static final Webhook A = new Webhook("http://h:1/hook?token=AAA", SUCCEEDED, "secret-A");
  private static final Webhook B = new Webhook("http://h:1/hook?token=BBB", SUCCEEDED, "secret-B");

  private final List<Invalid.Problem> problems = new ArrayList<>();

  private static Webhook shown(Webhook stored) {
    return new Webhook(WebhookUrls.shown(stored.url()), stored.events(), MASK);
  }

  @Test
  void two_webhooks_that_show_alike_are_written_back_as_they_were() {
    List<Webhook> back =
        UnchangedSecrets.webhooks(List.of(shown(A), shown(B)), List.of(A, B), problems);

    assertThat(problems).isEmpty();
    assertThat(back).containsExactly(A, B);
  }

  @Test
  void events_tell_apart_webhooks_that_show_alike_whatever_their_order() {
    Webhook failed = new Webhook("http://h:1/hook?token=CCC", List.of("run.failed"), "secret-C");

    List<Webhook> back =
        UnchangedSecrets.webhooks(List.of(shown(failed), shown(A)), List.of(A, failed), problems);

    assertThat(problems).isEmpty();
    assertThat(back).containsExactly(failed, A);
  }

  @Test
  void a_new_secret_or_new_events_keep_the_url_of_the_webhook_at_that_place() {
    Webhook newSecret = new Webhook(WebhookUrls.shown(B.url()), SUCCEEDED, "secret-new");
    Webhook newEvents = new Webhook(WebhookUrls.shown(A.url()), List.of("run.failed"), MASK);

    List<Webhook> back =
        UnchangedSecrets.webhooks(List.of(newEvents, newSecret), List.of(A, B), problems);

    assertThat(problems).isEmpty();
    assertThat(back)
        .containsExactly(
            new Webhook(A.url(), List.of("run.failed"), "secret-A"),
            new Webhook(B.url(), SUCCEEDED, "secret-new"));
  }

  @Test
  void a_changed_url_keeps_the_secret_of_the_webhook_at_its_place() {
    Webhook moved = new Webhook("http://elsewhere:2/hook", SUCCEEDED, MASK);

    List<Webhook> back =
        UnchangedSecrets.webhooks(List.of(shown(A), moved), List.of(A, B), problems);

    assertThat(problems).isEmpty();
    assertThat(back)
        .containsExactly(A, new Webhook("http://elsewhere:2/hook", SUCCEEDED, "secret-B"));
  }

  @Test
  void a_changed_url_does_not_take_the_secret_of_a_webhook_another_entry_names() {
    Webhook c = new Webhook("http://h:1/c", SUCCEEDED, "secret-C");
    Webhook changed = new Webhook("http://elsewhere:2/a", SUCCEEDED, MASK);
    Webhook a = new Webhook("http://h:1/a", SUCCEEDED, MASK);

    List<Webhook> back =
        UnchangedSecrets.webhooks(
            List.of(changed, a), List.of(new Webhook(a.url(), SUCCEEDED, "secret-A"), c), problems);

    assertThat(back.get(1)).isEqualTo(new Webhook(a.url(), SUCCEEDED, "secret-A"));
    assertThat(problems)
        .as("the changed URL stood at A's place, which the second entry names")
        .extracting(Invalid.Problem::field)
        .containsExactly("notify[0].secret");
  }

  @Test
  void a_shown_url_no_stored_webhook_has_is_refused_naming_it() {
    Webhook unknown = new Webhook("http://other:3/x?token=" + MASK, SUCCEEDED, "s");

    UnchangedSecrets.webhooks(List.of(unknown), List.of(A, B), problems);

    assertThat(problems)
        .singleElement()
        .satisfies(p -> assertThat(p.field()).isEqualTo("notify[0].url"));
  }

  @Test
  void a_third_webhook_shown_alike_has_no_stored_secret_to_keep() {
    UnchangedSecrets.webhooks(List.of(shown(A), shown(B), shown(A)), List.of(A, B), problems);

    assertThat(problems)
        .extracting(Invalid.Problem::field)
        .containsExactly("notify[2].url", "notify[2].secret");
  }
}
