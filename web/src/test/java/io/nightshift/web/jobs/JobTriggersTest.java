package io.nightshift.web.jobs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.jobs.JobsKit.at;
import static io.nightshift.web.jobs.JobsKit.createJob;
import static io.nightshift.web.jobs.JobsKit.every;
import static io.nightshift.web.jobs.JobsKit.fires;
import static io.nightshift.web.jobs.JobsKit.getJob;
import static io.nightshift.web.jobs.JobsKit.job;
import static io.nightshift.web.jobs.JobsKit.runs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Every kind of trigger fires on time, and each fire is in the cron log and in /metrics. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobTriggersTest {
  TestServer server;
  String node;

  @BeforeAll
  void start() {
    server = TestServer.start(TestServer.Store.H2);
    node = server.nightshift().config().node();
    JobsKit.template(server, "tick", "echo tick", "[]");
  }

  @AfterAll
  void stop() {
    server.close();
  }

  /** Checks the cron log rows of a started fire and its run. */
  private void assertStartedFire(JsonObject fire, String job, String trigger) {
    Instant scheduledAt = at(fire, "scheduledAt");
    assertThat(scheduledAt.getNano()).as("whole second: " + fire).isZero();
    assertThat(fire.getString("outcome")).isEqualTo("started");
    assertThat(fire.getString("node")).isEqualTo(node);
    assertThat(fire.getString("job")).isEqualTo(job);
    assertThat(fire.getLong("lagMs")).as(fire.encode()).isBetween(0L, 1_000L);
    assertThat(Duration.between(scheduledAt, at(fire, "firedAt")).toMillis())
        .isEqualTo(fire.getLong("lagMs"));
    assertThat(fire.getLong("runId")).isNotNull();
    JsonObject run = server.get("/api/v1/runs/" + fire.getLong("runId"), ADMIN_TOKEN).json();
    assertThat(run.getString("job")).isEqualTo(job);
    assertThat(run.getString("trigger")).isEqualTo(trigger);
    assertThat(run.getString("triggeredBy")).isEqualTo("scheduler");
  }

  @Test
  void an_every_second_job_fires_each_whole_second_with_a_small_lag_and_one_run_per_fire() {
    createJob(server, job("each-second", "tick", every(1)).put("concurrency", "allow"));
    await().atMost(Duration.ofSeconds(10)).until(() -> fires(server, "each-second").size() >= 4);
    server.post("/api/v1/jobs/each-second/pause", ADMIN_TOKEN, null);

    List<JsonObject> fires = fires(server, "each-second");
    for (JsonObject fire : fires) {
      assertStartedFire(fire, "each-second", "interval");
    }
    for (int i = 1; i < fires.size(); i++) {
      assertThat(
              Duration.between(
                  at(fires.get(i - 1), "scheduledAt"), at(fires.get(i), "scheduledAt")))
          .as("consecutive fires one period apart")
          .isEqualTo(Duration.ofSeconds(1));
    }
    List<JsonObject> runs = runs(server, "each-second");
    assertThat(runs).hasSize(fires.size());
    assertThat(runs)
        .extracting(r -> r.getLong("id"))
        .containsExactlyInAnyOrderElementsOf(fires.stream().map(f -> f.getLong("runId")).toList());
  }

  @Test
  void a_six_field_quartz_cron_fires_every_second_in_its_time_zone() {
    JsonObject created =
        createJob(
            server,
            job(
                    "cron-seconds",
                    "tick",
                    new JsonObject().put("cron", "* * * * * ?").put("timezone", "Asia/Kolkata"))
                .put("concurrency", "allow"));
    List<String> next = created.getJsonArray("nextFireTimes").getList();
    assertThat(next).hasSize(5).allMatch(t -> t.endsWith("+05:30"), "offset +05:30");
    for (int i = 1; i < next.size(); i++) {
      assertThat(
              Duration.between(
                  OffsetDateTime.parse(next.get(i - 1)), OffsetDateTime.parse(next.get(i))))
          .isEqualTo(Duration.ofSeconds(1));
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> fires(server, "cron-seconds").size() >= 3);
    server.post("/api/v1/jobs/cron-seconds/pause", ADMIN_TOKEN, null);
    for (JsonObject fire : fires(server, "cron-seconds")) {
      assertStartedFire(fire, "cron-seconds", "cron");
    }
  }

  @Test
  void a_cron_in_a_zone_fires_at_that_zones_wall_clock_time() {
    // 4 s ahead on the wall clock of Pacific/Chatham (+12:45 or +13:45), a zone far from the JVM's.
    ZoneId chatham = ZoneId.of("Pacific/Chatham");
    ZonedDateTime target =
        ZonedDateTime.now(chatham).plusSeconds(4).truncatedTo(ChronoUnit.SECONDS);
    String cron = target.getSecond() + " " + target.getMinute() + " " + target.getHour() + " * * ?";
    JsonObject created =
        createJob(
            server,
            job(
                "cron-chatham",
                "tick",
                new JsonObject().put("cron", cron).put("timezone", "Pacific/Chatham")));
    String first = created.getJsonArray("nextFireTimes").getString(0);
    assertThat(OffsetDateTime.parse(first).toInstant()).isEqualTo(target.toInstant());
    assertThat(first).endsWith(target.getOffset().getId());
    await().atMost(Duration.ofSeconds(10)).until(() -> fires(server, "cron-chatham").size() == 1);
    JsonObject fire = fires(server, "cron-chatham").get(0);
    assertThat(at(fire, "scheduledAt")).isEqualTo(target.toInstant());
    assertStartedFire(fire, "cron-chatham", "cron");
  }

  @Test
  void a_cron_job_created_just_after_its_fire_time_does_not_fire_for_a_time_before_it_existed() {
    // Early in a second (after the fire time S.000), create a daily cron for exactly that second.
    await()
        .pollInterval(Duration.ofMillis(10))
        .atMost(Duration.ofSeconds(3))
        .until(
            () -> {
              int millis = Instant.now().getNano() / 1_000_000;
              return millis >= 200 && millis <= 500;
            });
    ZonedDateTime now = ZonedDateTime.now(ZoneId.of("UTC"));
    String cron = now.getSecond() + " " + now.getMinute() + " " + now.getHour() + " * * ?";
    JsonObject created =
        createJob(server, job("cron-just-past", "tick", new JsonObject().put("cron", cron)));
    Instant createdAt = at(created, "createdAt");
    assertThat(OffsetDateTime.parse(created.getJsonArray("nextFireTimes").getString(0)).toInstant())
        .as("next fire is tomorrow")
        .isAfter(createdAt.plus(Duration.ofHours(23)));
    Instant later = Instant.now().plusMillis(1500);
    await()
        .pollDelay(Duration.ofMillis(100))
        .atMost(Duration.ofSeconds(4))
        .until(
            () -> {
              assertThat(fires(server, "cron-just-past")).as("fired before it existed").isEmpty();
              return Instant.now().isAfter(later);
            });
  }

  @Test
  void a_five_field_crontab_line_is_converted_and_its_next_fires_carry_the_zone_offset() {
    JsonObject created =
        createJob(
            server,
            job(
                "crontab-shanghai",
                "tick",
                new JsonObject().put("cron", "30 3 * * *").put("timezone", "Asia/Shanghai")));
    JsonObject schedule = created.getJsonObject("schedule");
    assertThat(schedule.getString("cron")).isEqualTo("0 30 3 * * ?");
    assertThat(schedule.getString("crontab")).isEqualTo("30 3 * * *");
    assertThat(schedule.getString("timezone")).isEqualTo("Asia/Shanghai");
    List<String> next = created.getJsonArray("nextFireTimes").getList();
    assertThat(next)
        .hasSize(5)
        .allMatch(t -> t.matches("\\d{4}-\\d\\d-\\d\\dT03:30:00\\.000\\+08:00"));
    Instant first = OffsetDateTime.parse(next.get(0)).toInstant();
    assertThat(first).isAfter(Instant.now()).isBefore(Instant.now().plus(Duration.ofDays(1)));

    // the answer can be written back unchanged (crontab echoed beside its conversion)
    JsonObject echoed = getJob(server, "crontab-shanghai");
    echoed.remove("nextFireTimes");
    for (String readOnly :
        List.of("name", "revision", "createdAt", "updatedAt", "paused", "pausedBy", "pausedAt")) {
      echoed.remove(readOnly);
    }
    var put = server.put("/api/v1/jobs/crontab-shanghai", ADMIN_TOKEN, echoed.encode());
    assertThat(put.status()).as(put.toString()).isEqualTo(200);
    assertThat(put.json().getJsonObject("schedule")).isEqualTo(schedule);

    JsonObject weekdays =
        createJob(
            server, job("crontab-weekdays", "tick", new JsonObject().put("cron", "0 9 * * 1-5")));
    assertThat(weekdays.getJsonObject("schedule").getString("cron")).isEqualTo("0 0 9 ? * 2-6");
    assertThat(weekdays.getJsonArray("nextFireTimes").getList())
        .allMatch(t -> t.toString().endsWith("T09:00:00.000Z"))
        .noneMatch(
            t -> {
              var day = OffsetDateTime.parse(t.toString()).getDayOfWeek();
              return day == java.time.DayOfWeek.SATURDAY || day == java.time.DayOfWeek.SUNDAY;
            });
  }

  @Test
  void an_at_job_fires_exactly_once_and_then_has_no_next_fire() {
    Instant when = Instant.now().plusSeconds(2).truncatedTo(ChronoUnit.MILLIS);
    JsonObject created =
        createJob(server, job("one-shot", "tick", new JsonObject().put("at", when.toString())));
    assertThat(created.getJsonArray("nextFireTimes")).hasSize(1);
    assertThat(Instant.parse(created.getJsonArray("nextFireTimes").getString(0))).isEqualTo(when);
    await().atMost(Duration.ofSeconds(8)).until(() -> fires(server, "one-shot").size() == 1);
    JsonObject fire = fires(server, "one-shot").get(0);
    assertThat(at(fire, "scheduledAt")).isEqualTo(when);
    assertThat(fire.getString("outcome")).isEqualTo("started");
    assertThat(fire.getLong("lagMs")).isBetween(0L, 1_000L);
    JsonObject run = server.get("/api/v1/runs/" + fire.getLong("runId"), ADMIN_TOKEN).json();
    assertThat(run.getString("trigger")).isEqualTo("once");
    assertThat(run.getString("job")).isEqualTo("one-shot");
    assertThat(getJob(server, "one-shot").getJsonArray("nextFireTimes")).isEmpty();
    Instant later = Instant.now().plusSeconds(2);
    await()
        .pollDelay(Duration.ofMillis(200))
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              assertThat(fires(server, "one-shot")).hasSize(1);
              assertThat(runs(server, "one-shot")).hasSize(1);
              return Instant.now().isAfter(later);
            });
  }

  @Test
  void metrics_show_fires_by_outcome_the_duplicates_counter_and_the_fire_lag_histogram() {
    createJob(server, job("metered", "tick", every(1)).put("concurrency", "allow"));
    await().atMost(Duration.ofSeconds(10)).until(() -> fires(server, "metered").size() >= 2);
    server.post("/api/v1/jobs/metered/pause", ADMIN_TOKEN, null);
    String metrics = JobsKit.metrics(server);
    assertThat(metrics)
        .contains("nightshift_fires_total{outcome=\"started\"}")
        .contains("nightshift_fires_duplicates_total")
        .contains("nightshift_fires_waiting ")
        .contains("nightshift_fire_lag_seconds_bucket{le=")
        .contains("nightshift_fire_lag_seconds_count");
    assertThat(JobsKit.sample(metrics, "nightshift_fires_total{outcome=\"started\"}"))
        .isGreaterThanOrEqualTo(2);
    assertThat(JobsKit.sample(metrics, "nightshift_fire_lag_seconds_count"))
        .isGreaterThanOrEqualTo(2);
    assertThat(JobsKit.sample(metrics, "nightshift_fires_duplicates_total"))
        .as("one node, nobody to lose a claim to")
        .isZero();
    Map<String, Long> byOutcome =
        fires(server, "metered").stream()
            .collect(Collectors.groupingBy(f -> f.getString("outcome"), Collectors.counting()));
    assertThat(byOutcome.keySet()).containsOnly("started");
  }
}
