package io.nightshift.web.jobs;

import static io.nightshift.web.jobs.JobsKit.at;
import static io.nightshift.web.jobs.JobsKit.createJob;
import static io.nightshift.web.jobs.JobsKit.every;
import static io.nightshift.web.jobs.JobsKit.fires;
import static io.nightshift.web.jobs.JobsKit.job;
import static io.nightshift.web.jobs.JobsKit.metrics;
import static io.nightshift.web.jobs.JobsKit.sample;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.TcpProxy;
import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * MariaDB goes away under a node (its connections cut and new ones refused, through a TCP proxy)
 * while jobs fire every second, then comes back: the node keeps answering, the fires wait in
 * memory, and once the database is back every fire of the outage is claimed, each second of every
 * job once with its run, without a restart.
 */
class DatabaseOutageTest {
  static final List<String> JOBS = List.of("beat-a", "beat-b", "beat-c");

  @Test
  void fires_wait_through_a_database_outage_and_each_is_claimed_once_when_it_is_back() {
    DatabaseSettings direct = TestDatabases.cleanMysql();
    URI server = URI.create(direct.url().substring("jdbc:".length()));
    Path dataDir = TempFolders.create("nightshift-outage-");
    try (TcpProxy proxy = TcpProxy.to(server.getPort())) {
      DatabaseSettings throughProxy =
          new DatabaseSettings(
              direct.url().replace(server.getAuthority(), "127.0.0.1:" + proxy.port()),
              direct.user(),
              direct.password(),
              direct.poolSize());
      try (TestServer node = TestServer.start(TestServer.config(dataDir, throughProxy, null))) {
        JobsKit.template(node, "beat", "true", "[]");
        for (String name : JOBS) {
          createJob(node, job(name, "beat", every(1)).put("concurrency", "allow"));
        }
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> JOBS.stream().allMatch(name -> fires(node, name).size() >= 2));

        proxy.cut();
        Instant cut = Instant.now();
        // Every job fires each second meanwhile: at least 5 s of fires wait for the database.
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> sample(metrics(node), "nightshift_fires_waiting") >= 5 * JOBS.size());
        assertThat(node.get("/health", null).status())
            .as("the node keeps answering")
            .isEqualTo(200);
        TestServer.Answer refused = node.get("/api/v1/jobs", TestServer.ADMIN_TOKEN);
        assertThat(refused.status())
            .as("what needs the database is refused, not hung")
            .isEqualTo(503);
        assertThat(refused.errorCode())
            .as("an outage is not a busy pool: " + refused)
            .isEqualTo("database_unavailable");
        assertThat(refused.errorMessage())
            .as("the driver's words (hosts) stay in the node's log")
            .startsWith("the database cannot be reached (down, or cut off from this node");

        proxy.restore();
        Instant back = Instant.now();
        await()
            .atMost(Duration.ofSeconds(45))
            .until(
                () ->
                    sample(metrics(node), "nightshift_fires_waiting") == 0
                        && JOBS.stream()
                            .allMatch(
                                name ->
                                    fires(node, name).stream()
                                        .anyMatch(f -> at(f, "scheduledAt").isAfter(back))));
        System.out.printf(
            "outage: %d ms down; every waiting fire claimed %d ms after the database was back%n",
            Duration.between(cut, back).toMillis(),
            Duration.between(back, Instant.now()).toMillis());

        for (String name : JOBS) {
          List<JsonObject> fires = fires(node, name);
          assertThat(fires)
              .as("fires of %s during the outage", name)
              .anyMatch(
                  f -> at(f, "scheduledAt").isAfter(cut) && at(f, "scheduledAt").isBefore(back));
          for (int i = 0; i < fires.size(); i++) {
            assertThat(fires.get(i).getString("outcome"))
                .as(fires.get(i).encode())
                .isEqualTo("started");
            if (i > 0) {
              assertThat(
                      Duration.between(
                          at(fires.get(i - 1), "scheduledAt"), at(fires.get(i), "scheduledAt")))
                  .as(
                      "%s: no fire lost or doubled between %s and %s",
                      name, fires.get(i - 1), fires.get(i))
                  .isEqualTo(Duration.ofSeconds(1));
            }
          }
          JobsKit.assertOneRunPerStartedFire(node, name);
        }
      }
    } finally {
      TempFolders.delete(dataDir);
    }
  }
}
