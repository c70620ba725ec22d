package io.nightshift.web.jobs;

import static io.nightshift.web.jobs.JobsKit.at;
import static io.nightshift.web.jobs.JobsKit.createJob;
import static io.nightshift.web.jobs.JobsKit.every;
import static io.nightshift.web.jobs.JobsKit.fires;
import static io.nightshift.web.jobs.JobsKit.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.RedisProcess;
import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Two nodes on one MySQL and one (private) Redis: each fire is claimed once, a job created on one
 * node fires on the other at once, and when a node stops the other goes on without a gap.
 */
class JobClusterTest {

  private static double duplicates(TestServer node) {
    return JobsKit.sample(JobsKit.metrics(node), "nightshift_fires_duplicates_total");
  }

  private static long firesBy(TestServer reader, String job, String node) {
    return fires(reader, job).stream().filter(f -> f.getString("node").equals(node)).count();
  }

  /** Each scheduled time once, one second apart, each started with its own run. */
  private static void assertEveryFireOnceWithOneRun(TestServer reader, String job) {
    List<JsonObject> fires = fires(reader, job);
    Set<Instant> times = new HashSet<>();
    for (JsonObject f : fires) {
      assertThat(times.add(at(f, "scheduledAt"))).as("claimed once: " + f).isTrue();
      assertThat(f.getString("outcome")).as(f.encode()).isEqualTo("started");
    }
    for (int i = 1; i < fires.size(); i++) {
      assertThat(
              Duration.between(
                  at(fires.get(i - 1), "scheduledAt"), at(fires.get(i), "scheduledAt")))
          .as("no fire lost between %s and %s", fires.get(i - 1), fires.get(i))
          .isEqualTo(Duration.ofSeconds(1));
    }
    JobsKit.assertOneRunPerStartedFire(reader, job);
  }

  @Test
  void two_nodes_share_the_fires_each_once_and_the_survivor_goes_on_without_a_gap()
      throws Exception {
    try (RedisProcess redis = RedisProcess.start()) {
      TestServer a = TestServer.start(TestServer.Store.MYSQL, redis.url());
      boolean aRunning = true;
      try (TestServer b =
          TestServer.start(
              TestServer.config(
                  TempFolders.create("nightshift-node-b-"),
                  TestDatabases.mysqlSettings(),
                  redis.url()))) {
        String nodeA = a.nightshift().config().node();
        String nodeB = b.nightshift().config().node();
        assertThat(nodeA).isNotEqualTo(nodeB);

        JobsKit.template(a, "tick", "echo tick", "[]");
        Instant created = Instant.now();
        createJob(
            a, job("shared", "tick", every(1)).put("concurrency", "allow").put("misfire", "skip"));

        // B heard of the job at once (event on Redis), long before the 10 s reconcile: within a
        // few seconds it has claimed fires itself or lost claims to A.
        await()
            .atMost(Duration.ofSeconds(4))
            .until(() -> firesBy(b, "shared", nodeB) > 0 || duplicates(b) > 0);
        assertThat(Duration.between(created, Instant.now())).isLessThan(Duration.ofSeconds(5));

        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    fires(b, "shared").size() >= 8
                        && firesBy(b, "shared", nodeA) > 0
                        && firesBy(b, "shared", nodeB) > 0);
        assertEveryFireOnceWithOneRun(b, "shared");
        assertThat(fires(a, "shared")).allMatch(f -> f.getLong("lagMs") < 1_000, "on time");
        assertThat(duplicates(a) + duplicates(b))
            .as("the losing node counts each fire it could not claim")
            .isGreaterThanOrEqualTo(1);

        int firesBeforeStop = fires(b, "shared").size();
        Instant stopped = Instant.now();
        a.close();
        aRunning = false;
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () ->
                    fires(b, "shared").stream()
                            .filter(f -> at(f, "scheduledAt").isAfter(stopped.plusSeconds(1)))
                            .count()
                        >= 4);
        List<JsonObject> fires = fires(b, "shared");
        assertThat(fires.size()).isGreaterThan(firesBeforeStop);
        for (int i = 1; i < fires.size(); i++) {
          assertThat(
                  Duration.between(
                      at(fires.get(i - 1), "scheduledAt"), at(fires.get(i), "scheduledAt")))
              .as("gap between %s and %s", fires.get(i - 1), fires.get(i))
              .isLessThanOrEqualTo(Duration.ofSeconds(2));
        }
        assertThat(fires)
            .filteredOn(f -> at(f, "scheduledAt").isAfter(stopped.plusSeconds(1)))
            .allMatch(f -> f.getString("node").equals(nodeB), "only B is left");
        assertEveryFireOnceWithOneRun(b, "shared");
      } finally {
        if (aRunning) {
          a.close();
        }
      }
    }
  }
}
