package io.nightshift.web.jobs;

import static io.nightshift.web.jobs.JobsKit.at;
import static io.nightshift.web.jobs.JobsKit.fires;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A restart quicker than the misfire tolerance (a class of its own beside {@link JobMisfireTest},
 * so the tests run at once in parallel test JVMs).
 */
class JobMisfireQuickRestartTest {
  @Test
  void a_restart_quicker_than_the_tolerance_still_records_the_missed_fires_once() throws Exception {
    Path dataDir = TempFolders.create("nightshift-quick-restart-");
    Instant skipLast;
    Instant onceLast;
    try (TestServer a =
        TestServer.start(TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null))) {
      JobMisfireTest.jobs(a);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  fires(a, "skip-job", "started").size() >= 1
                      && fires(a, "once-job", "started").size() >= 1);
      a.nightshift().jobScheduler().close();
      skipLast = at(fires(a, "skip-job").get(fires(a, "skip-job").size() - 1), "scheduledAt");
      onceLast = at(fires(a, "once-job").get(fires(a, "once-job").size() - 1), "scheduledAt");
    }
    JobMisfireTest.waitUntil(Instant.now().plusSeconds(4));
    Instant restart = Instant.now();
    try (TestServer b =
        TestServer.start(TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null))) {
      Instant restarted = Instant.now();
      // no other node is live: the fires of the short gap are missed, none waits for a claim
      await()
          .atMost(Duration.ofSeconds(25))
          .until(
              () ->
                  fires(b, "skip-job", "misfired").size() == 1
                      && fires(b, "once-job").stream()
                          .anyMatch(
                              f ->
                                  f.getString("reason") != null
                                      && f.getString("reason").contains("fire_once")));
      List<JsonObject> skipGap =
          fires(b, "skip-job").stream()
              .filter(f -> at(f, "scheduledAt").isAfter(skipLast))
              .filter(f -> !at(f, "scheduledAt").isAfter(restarted))
              .toList();
      assertThat(skipGap).as("one record for the short gap").hasSize(1);
      assertThat(skipGap.get(0).getString("outcome")).isEqualTo("misfired");
      assertThat(at(skipGap.get(0), "scheduledAt")).isAfter(restart.minusSeconds(6));
      List<JsonObject> onceGap =
          fires(b, "once-job").stream()
              .filter(f -> at(f, "scheduledAt").isAfter(onceLast))
              .filter(f -> !at(f, "scheduledAt").isAfter(restarted))
              .toList();
      assertThat(onceGap).as("one run for the short gap").hasSize(1);
      assertThat(onceGap.get(0).getString("outcome")).isEqualTo("started");
      assertThat(onceGap.get(0).getString("reason")).contains("fire_once");
    }
  }
}
