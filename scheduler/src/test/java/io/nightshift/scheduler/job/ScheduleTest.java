package io.nightshift.scheduler.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.quartz.CronScheduleBuilder;
import org.quartz.CronTrigger;
import org.quartz.TriggerBuilder;

/** Fire times, checked against fixed instants; DST facts are what Quartz 2.5 actually does. */
class ScheduleTest {
  static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

  static List<Instant> instants(String... texts) {
    return java.util.Arrays.stream(texts).map(Instant::parse).toList();
  }

  static Schedule.Cron newYork(String cron) {
    return new Schedule.Cron(cron, NEW_YORK);
  }

  @Test
  void a_cron_in_shanghai_fires_at_1930_utc_the_day_before() {
    Schedule s = new Schedule.Cron("0 30 3 * * ?", ZoneId.of("Asia/Shanghai"));
    assertThat(s.next(Instant.parse("2026-01-01T00:00:00Z"), 2))
        .isEqualTo(instants("2026-01-01T19:30:00Z", "2026-01-02T19:30:00Z"));
  }

  @Test
  void next_is_strictly_after() {
    Schedule s = new Schedule.Cron("0 30 3 * * ?", ZoneId.of("UTC"));
    assertThat(s.next(Instant.parse("2026-01-01T03:30:00Z")))
        .contains(Instant.parse("2026-01-02T03:30:00Z"));
    assertThat(s.next(Instant.parse("2026-01-01T03:29:59.999Z")))
        .contains(Instant.parse("2026-01-01T03:30:00Z"));
  }

  @Test
  void a_cron_gives_the_same_times_as_a_quartz_cron_trigger_in_its_zone() {
    Schedule.Cron s = newYork("0 30 1,2 * * ?");
    CronTrigger trigger =
        TriggerBuilder.newTrigger()
            .withSchedule(CronScheduleBuilder.cronSchedule(s.quartz()).inTimeZone(s.timeZone()))
            .startAt(java.util.Date.from(Instant.parse("2026-03-06T00:00:00Z")))
            .build();
    java.util.Date fire =
        trigger.getFireTimeAfter(java.util.Date.from(Instant.parse("2026-03-06T00:00:00Z")));
    Instant after = Instant.parse("2026-03-06T00:00:00Z");
    for (Instant expected : s.next(after, 20)) {
      assertThat(fire.toInstant()).isEqualTo(expected);
      fire = trigger.getFireTimeAfter(fire);
    }
  }

  @Test
  void spring_forward_a_0230_job_does_not_run_on_that_day() {
    // 2026-03-08 02:00 EST -> 03:00 EDT: 02:30 does not exist, Quartz skips the day.
    assertThat(newYork("0 30 2 * * ?").next(Instant.parse("2026-03-07T00:00:00Z"), 3))
        .isEqualTo(
            instants(
                "2026-03-07T07:30:00Z", // Sat 02:30 EST
                "2026-03-09T06:30:00Z", // Mon 02:30 EDT; nothing on Sunday 03-08
                "2026-03-10T06:30:00Z"));
  }

  @Test
  void spring_forward_a_0130_job_and_an_hourly_job_are_unaffected() {
    assertThat(newYork("0 30 1 * * ?").next(Instant.parse("2026-03-08T00:00:00Z")))
        .contains(Instant.parse("2026-03-08T06:30:00Z")); // 01:30 EST
    assertThat(newYork("0 0 * * * ?").next(Instant.parse("2026-03-08T05:30:00Z"), 3))
        .isEqualTo(
            instants(
                "2026-03-08T06:00:00Z", // 01:00 EST
                "2026-03-08T07:00:00Z", // 03:00 EDT, one real hour later
                "2026-03-08T08:00:00Z"));
  }

  @Test
  void fall_back_a_0230_job_runs_once() {
    // 2026-11-01 02:00 EDT -> 01:00 EST; 02:30 happens once (EST).
    assertThat(newYork("0 30 2 * * ?").next(Instant.parse("2026-10-31T00:00:00Z"), 3))
        .isEqualTo(
            instants(
                "2026-10-31T06:30:00Z", // 02:30 EDT
                "2026-11-01T07:30:00Z", // 02:30 EST, 25 hours later
                "2026-11-02T07:30:00Z"));
  }

  @Test
  void fall_back_a_0130_job_runs_once_at_the_second_0130() {
    // 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST); Quartz fires only the second.
    assertThat(newYork("0 30 1 * * ?").next(Instant.parse("2026-10-31T00:00:00Z"), 3))
        .isEqualTo(
            instants(
                "2026-10-31T05:30:00Z", // 01:30 EDT
                "2026-11-01T06:30:00Z", // 01:30 EST (the first 01:30, 05:30Z, is skipped)
                "2026-11-02T06:30:00Z"));
  }

  @Test
  void fall_back_counted_from_inside_the_first_0130_hour_the_day_is_lost() {
    // From 01:30-01:59 EDT (05:30Z-05:59Z) Quartz goes to the next day, not to 01:30 EST (06:30Z):
    // a node that (re)computes at that moment, e.g. a job created or resumed then, skips the day.
    assertThat(newYork("0 30 1 * * ?").next(Instant.parse("2026-11-01T05:45:00Z")))
        .contains(Instant.parse("2026-11-02T06:30:00Z"));
    assertThat(newYork("0 30 1 * * ?").next(Instant.parse("2026-11-01T06:00:00Z")))
        .contains(Instant.parse("2026-11-01T06:30:00Z"));
  }

  @Test
  void fall_back_an_hourly_job_skips_the_first_0100() {
    assertThat(newYork("0 0 * * * ?").next(Instant.parse("2026-11-01T03:30:00Z"), 4))
        .isEqualTo(
            instants(
                "2026-11-01T04:00:00Z", // 00:00 EDT
                "2026-11-01T06:00:00Z", // 01:00 EST; 01:00 EDT (05:00Z) is skipped: a 2-hour gap
                "2026-11-01T07:00:00Z",
                "2026-11-01T08:00:00Z"));
  }

  @Test
  void in_berlin_the_same_rules_hold_at_0230() {
    // 2026-03-29 02:00 -> 03:00 and 2026-10-25 03:00 -> 02:00: skipped, then once at the second
    // 02:30
    Schedule.Cron s = new Schedule.Cron("0 30 2 * * ?", ZoneId.of("Europe/Berlin"));
    assertThat(s.next(Instant.parse("2026-03-28T12:00:00Z")))
        .contains(Instant.parse("2026-03-30T00:30:00Z"));
    assertThat(s.next(Instant.parse("2026-10-24T12:00:00Z"), 2))
        .isEqualTo(instants("2026-10-25T01:30:00Z", "2026-10-26T01:30:00Z"));
  }

  @Test
  void in_utc_a_daily_job_is_24_hours_apart_all_year() {
    List<Instant> fires =
        new Schedule.Cron("0 30 6 * * ?", ZoneId.of("UTC"))
            .next(Instant.parse("2026-01-01T00:00:00Z"), 365);
    for (int i = 1; i < fires.size(); i++) {
      assertThat(java.time.Duration.between(fires.get(i - 1), fires.get(i)).toHours())
          .isEqualTo(24);
    }
    assertThat(fires).hasSize(365);
  }

  @Test
  void every_fires_on_multiples_of_its_period_since_the_epoch() {
    Schedule s = new Schedule.Every(30);
    assertThat(s.next(Instant.parse("2026-01-15T12:00:00Z"), 3))
        .isEqualTo(
            instants("2026-01-15T12:00:30Z", "2026-01-15T12:01:00Z", "2026-01-15T12:01:30Z"));
    assertThat(s.next(Instant.parse("2026-01-15T12:00:29.999Z")))
        .contains(Instant.parse("2026-01-15T12:00:30Z"));
    assertThat(new Schedule.Every(3600).next(Instant.parse("2026-01-15T12:34:56Z")))
        .contains(Instant.parse("2026-01-15T13:00:00Z"));
    // 7 does not divide a minute: aligned to the epoch, not to the wall clock
    assertThat(new Schedule.Every(7).next(Instant.ofEpochSecond(0), 2))
        .isEqualTo(List.of(Instant.ofEpochSecond(7), Instant.ofEpochSecond(14)));
  }

  @Test
  void every_agrees_on_all_nodes_whatever_moment_they_start() {
    Schedule s = new Schedule.Every(300);
    Instant a = s.next(Instant.parse("2026-01-15T12:01:07Z")).orElseThrow();
    Instant b = s.next(Instant.parse("2026-01-15T12:04:59.5Z")).orElseThrow();
    assertThat(a).isEqualTo(b).isEqualTo(Instant.parse("2026-01-15T12:05:00Z"));
  }

  @Test
  void at_fires_once() {
    Schedule s = new Schedule.At(Instant.parse("2026-12-01T03:00:00Z"));
    assertThat(s.next(Instant.parse("2026-01-01T00:00:00Z"), 5))
        .isEqualTo(instants("2026-12-01T03:00:00Z"));
    assertThat(s.next(Instant.parse("2026-12-01T03:00:00Z"))).isEmpty();
  }

  @Test
  void a_cron_with_a_last_year_ends() {
    assertThat(
            new Schedule.Cron("0 0 0 1 1 ? 2027-2028", ZoneId.of("UTC"))
                .next(Instant.parse("2026-06-01T00:00:00Z"), 5))
        .isEqualTo(instants("2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"));
  }

  @Test
  void the_records_refuse_what_the_parser_would() {
    assertThatThrownBy(() -> new Schedule.Cron("0 0 0 * * *", ZoneId.of("UTC")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Schedule.Every(0)).isInstanceOf(IllegalArgumentException.class);
    assertThat(new Schedule.Cron("0 0 * * * ?", ZoneId.of("UTC+08:00")).zone())
        .isEqualTo(java.time.ZoneOffset.ofHours(8));
  }

  @Test
  void the_local_times_of_the_dst_days_are_what_the_docs_say() {
    // guards docs/schedules.md: the skipped and repeated hours of 2026 in New York
    ZonedDateTime spring = ZonedDateTime.of(2026, 3, 8, 2, 30, 0, 0, NEW_YORK);
    assertThat(spring.getHour()).isEqualTo(3); // 02:30 does not exist, java shifts it
    assertThat(NEW_YORK.getRules().getValidOffsets(java.time.LocalDateTime.of(2026, 11, 1, 1, 30)))
        .hasSize(2); // 01:30 happens twice
  }
}
