package io.nightshift.web.jobs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.jobs.JobsKit.at;
import static io.nightshift.web.jobs.JobsKit.fires;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A paused job (a class of its own beside {@link JobMisfireTest}, so the tests run at once in
 * parallel test JVMs). No node fires a paused job, so on resume every fire up to then is missed:
 * unlike at start, no tolerance applies, and a pause of a few periods shows it.
 */
class JobMisfirePauseTest {
  @Test
  void a_paused_job_applies_its_misfire_policy_once_on_resume_for_every_fire_missed_meanwhile() {
    try (TestServer server = TestServer.start(TestServer.Store.H2)) {
      JobMisfireTest.jobs(server);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  fires(server, "skip-job", "started").size() >= 1
                      && fires(server, "once-job", "started").size() >= 1);
      assertThat(server.post("/api/v1/jobs/skip-job/pause", ADMIN_TOKEN, null).status())
          .isEqualTo(200);
      assertThat(server.post("/api/v1/jobs/once-job/pause", ADMIN_TOKEN, null).status())
          .isEqualTo(200);
      List<JsonObject> skipFires = fires(server, "skip-job");
      List<JsonObject> onceFires = fires(server, "once-job");
      Instant skipLast = at(skipFires.get(skipFires.size() - 1), "scheduledAt");
      Instant onceLast = at(onceFires.get(onceFires.size() - 1), "scheduledAt");

      // Two periods of the jobs' 2 s schedule at least, however the pause falls between points.
      JobMisfireTest.waitUntil(Instant.now().plusSeconds(5));
      Instant resume = Instant.now();
      assertThat(server.post("/api/v1/jobs/skip-job/resume", ADMIN_TOKEN, null).status())
          .isEqualTo(200);
      assertThat(server.post("/api/v1/jobs/once-job/resume", ADMIN_TOKEN, null).status())
          .isEqualTo(200);
      JobMisfireTest.assertOneCatchUpEach(server, skipLast, onceLast, resume, Duration.ZERO);

      // Held back on purpose: recorded as paused, and no misfire counted (nor alerted).
      assertThat(fires(server, "skip-job", "misfired").get(0).getString("reason"))
          .contains("while the job was paused");
      assertThat(
              JobsKit.sample(
                  JobsKit.metrics(server), "nightshift_misfires_total{job=\"skip-job\"}"))
          .isZero();
      assertThat(
              JobsKit.sample(
                  JobsKit.metrics(server), "nightshift_misfires_total{job=\"once-job\"}"))
          .isZero();

      // resuming again is a no-op: no second catch-up
      assertThat(server.post("/api/v1/jobs/skip-job/resume", ADMIN_TOKEN, null).status())
          .isEqualTo(200);
      assertThat(fires(server, "skip-job", "misfired")).hasSize(1);
    }
  }
}
