package io.nightshift.scheduler.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.scheduler.error.Invalid;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What a job's answer reports besides what defines it, when that answer is written back. */
class JobParserTest {
  private static final Instant NOW = Instant.parse("2026-12-06T01:00:00Z");

  private static JsonObject job() {
    return new JsonObject()
        .put("name", "nightly")
        .put("template", "backup")
        .put("schedule", new JsonObject().put("everySeconds", 60));
  }

  @Test
  void what_an_answer_reports_is_accepted_and_ignored() {
    JsonObject answer =
        job()
            .put("enabled", false)
            .put("paused", true)
            .put("pausedBy", "alice")
            .put("pausedAt", "2026-12-05T01:00:00Z")
            .put("revision", 7)
            .put("createdAt", "2026-12-01T01:00:00Z")
            .put("updatedAt", "2026-12-05T01:00:00Z")
            .put("nextFireTimes", new JsonArray())
            .putNull("lastFire");

    JobSpec spec = JobParser.parse(answer, "nightly", null, NOW);

    assertThat(spec.enabled()).isFalse();
    assertThat(spec.name()).isEqualTo("nightly");
  }

  @Test
  void paused_that_contradicts_enabled_is_refused_naming_it() {
    JobSpec running = JobParser.parse(job(), null, null, NOW);

    assertThatThrownBy(() -> JobParser.parse(job().put("paused", true), "nightly", running, NOW))
        .isInstanceOf(Invalid.class)
        .hasMessageStartingWith("paused: is what the job's 'enabled' is not")
        .hasMessageContaining("POST /api/v1/jobs/{name}/pause");
    assertThatThrownBy(
            () -> JobParser.parse(job().put("enabled", true).put("paused", true), null, null, NOW))
        .hasMessageStartingWith("paused:");
    assertThatThrownBy(() -> JobParser.parse(job().put("paused", "yes"), null, null, NOW))
        .hasMessageStartingWith("paused: must be true or false");
    assertThat(JobParser.parse(job().put("paused", false), "nightly", running, NOW).enabled())
        .isTrue();
  }
}
