package io.nightshift.web.jobs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.jobs.JobsKit.createJob;
import static io.nightshift.web.jobs.JobsKit.every;
import static io.nightshift.web.jobs.JobsKit.job;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A paused job says so (who, when); runs and steps say how long they took. */
class PauseAndDurationTest {
  TestServer server;

  @BeforeEach
  void start() {
    server = TestServer.start(TestServer.Store.H2);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void a_paused_job_shows_who_paused_it_and_when_until_it_is_resumed() {
    JobsKit.template(server, "tpl", "true", "[]");
    createJob(server, job("hourly", "tpl", every(3600)));
    JsonObject running = server.get("/api/v1/jobs/hourly", ADMIN_TOKEN).json();
    assertThat(running.getBoolean("paused")).isFalse();
    assertThat(running.getString("pausedBy")).isNull();

    String operator = server.token("ops", "operator");
    Instant before = Instant.now().minusSeconds(1);
    Answer paused = server.post("/api/v1/jobs/hourly/pause", operator, null);
    assertThat(paused.status()).isEqualTo(200);
    for (JsonObject json :
        new JsonObject[] {paused.json(), server.get("/api/v1/jobs/hourly", ADMIN_TOKEN).json()}) {
      assertThat(json.getBoolean("paused")).isTrue();
      assertThat(json.getBoolean("enabled")).isFalse();
      assertThat(json.getString("pausedBy")).isEqualTo("ops");
      assertThat(Instant.parse(json.getString("pausedAt"))).isAfter(before);
    }
    // pausing again keeps the first pause's who and when
    String firstAt = paused.json().getString("pausedAt");
    JsonObject again = server.post("/api/v1/jobs/hourly/pause", ADMIN_TOKEN, null).json();
    assertThat(again.getString("pausedBy")).isEqualTo("ops");
    assertThat(again.getString("pausedAt")).isEqualTo(firstAt);

    JsonObject resumed = server.post("/api/v1/jobs/hourly/resume", ADMIN_TOKEN, null).json();
    assertThat(resumed.getBoolean("paused")).isFalse();
    assertThat(resumed.getString("pausedBy")).isNull();
    assertThat(resumed.getString("pausedAt")).isNull();
  }

  @Test
  void runs_and_steps_carry_their_duration_in_milliseconds() {
    JobsKit.template(server, "slow", "sleep 0.3", "[]");
    long runId =
        server.post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"slow\"}").json().getLong("id");
    JsonObject run =
        Awaitility.await()
            .atMost(30, TimeUnit.SECONDS)
            .until(
                () -> server.get("/api/v1/runs/" + runId, ADMIN_TOKEN).json(),
                r -> "SUCCEEDED".equals(r.getString("status")));
    long stepMs = run.getJsonArray("steps").getJsonObject(0).getLong("durationMs");
    assertThat(stepMs)
        .isEqualTo(
            Duration.between(
                    Instant.parse(
                        run.getJsonArray("steps").getJsonObject(0).getString("startedAt")),
                    Instant.parse(
                        run.getJsonArray("steps").getJsonObject(0).getString("finishedAt")))
                .toMillis())
        .isGreaterThanOrEqualTo(300);
    assertThat(run.getLong("durationMs")).isGreaterThanOrEqualTo(stepMs);
    JsonObject listed =
        server
            .get("/api/v1/runs?template=slow", ADMIN_TOKEN)
            .json()
            .getJsonArray("items")
            .getJsonObject(0);
    assertThat(listed.getLong("durationMs")).isEqualTo(run.getLong("durationMs"));
  }
}
