package io.nightshift.scheduler.template;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which events a webhook gets from the events it names. */
class WebhookEventsTest {
  private static Webhook hook(String... events) {
    return new Webhook("http://127.0.0.1:9/", List.of(events), null);
  }

  @Test
  void all_events_means_every_run_approval_and_failed_or_missed_fire_but_not_a_skipped_one() {
    for (Webhook all : List.of(hook(), hook("*"))) {
      assertThat(all.wants("run.failed")).isTrue();
      assertThat(all.wants("approval.requested")).isTrue();
      assertThat(all.wants("job.fire_failed")).isTrue();
      assertThat(all.wants("job.fire_missed")).isTrue();
      // Routine for a forbid job whose runs outlast its interval: only when asked for.
      assertThat(all.wants("job.fire_skipped")).isFalse();
    }
    assertThat(hook("job.*").wants("job.fire_skipped")).isTrue();
    assertThat(hook("job.fire_skipped").wants("job.fire_skipped")).isTrue();
    assertThat(hook("job.*").wants("run.failed")).isFalse();
    assertThat(hook("run.*").wants("job.fire_failed")).isFalse();
  }
}
