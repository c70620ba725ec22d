package io.nightshift.web.jobs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.jobs.JobsKit.at;
import static io.nightshift.web.jobs.JobsKit.fires;
import static io.nightshift.web.jobs.JobsKit.runs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A job paused longer than the misfire tolerance (a class of its own beside {@link JobMisfireTest},
 * so the tests run at once in parallel test JVMs).
 */
class JobMisfirePauseTest {
  @Test
  void a_job_paused_longer_than_the_tolerance_applies_its_misfire_policy_once_on_resume() {
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

      JobMisfireTest.waitUntil(Instant.now().plusSeconds(13));
      Instant resume = Instant.now();
      assertThat(server.post("/api/v1/jobs/skip-job/resume", ADMIN_TOKEN, null).status())
          .isEqualTo(200);
      assertThat(server.post("/api/v1/jobs/once-job/resume", ADMIN_TOKEN, null).status())
          .isEqualTo(200);
      await()
          .atMost(Duration.ofSeconds(3))
          .until(() -> runs(server, "once-job").size() > onceFires.size());
      JobMisfireTest.assertOneCatchUpEach(server, skipLast, onceLast, resume, Duration.ZERO);

      // resuming again is a no-op: no second catch-up
      assertThat(server.post("/api/v1/jobs/skip-job/resume", ADMIN_TOKEN, null).status())
          .isEqualTo(200);
      assertThat(fires(server, "skip-job", "misfired")).hasSize(1);
    }
  }
}
