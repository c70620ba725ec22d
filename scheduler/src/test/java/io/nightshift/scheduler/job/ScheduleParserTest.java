package io.nightshift.scheduler.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.scheduler.error.Invalid;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScheduleParserTest {
  static final Instant NOW = Instant.parse("2026-01-15T12:00:00Z");

  static Schedule parse(String json) {
    return ScheduleParser.parse(new JsonObject(json), NOW);
  }

  /** Asserts an Invalid whose only problem is on {@code field} and mentions {@code text}. */
  static void invalid(ThrowingCallable call, String field, String text) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            Invalid.class,
            e -> {
              assertThat(e.problems()).extracting(Invalid.Problem::field).containsExactly(field);
              assertThat(e.getMessage()).startsWith(field + ": ").contains(text);
            });
  }

  static void invalid(String json, String field, String text) {
    invalid(() -> parse(json), field, text);
  }

  @Test
  void no_schedule_is_null() {
    assertThat(ScheduleParser.parse(null, NOW)).isNull();
  }

  @Test
  void a_quartz_cron_with_a_zone() {
    Schedule s = parse("{\"cron\":\"0 30 3 * * ?\",\"timezone\":\"Asia/Shanghai\"}");
    assertThat(s).isEqualTo(new Schedule.Cron("0 30 3 * * ?", ZoneId.of("Asia/Shanghai"), null));
    assertThat(s.toJson())
        .isEqualTo(new JsonObject("{\"cron\":\"0 30 3 * * ?\",\"timezone\":\"Asia/Shanghai\"}"));
  }

  @Test
  void a_seven_field_cron_with_a_year() {
    Schedule s = parse("{\"cron\":\"0 0 12 1 JAN ? 2027\"}");
    assertThat(s).isEqualTo(new Schedule.Cron("0 0 12 1 JAN ? 2027", ZoneId.of("UTC")));
    assertThat(s.next(NOW, 3)).containsExactly(Instant.parse("2027-01-01T12:00:00Z"));
  }

  @Test
  void the_zone_defaults_to_utc() {
    Schedule.Cron s = (Schedule.Cron) parse("{\"cron\":\"0 0 * * * ?\"}");
    assertThat(s.zone()).isEqualTo(ZoneId.of("UTC"));
    assertThat(s.toJson().getString("timezone")).isEqualTo("UTC");
  }

  @Test
  void a_five_field_line_is_converted_and_the_original_is_kept() {
    Schedule s = parse("{\"cron\":\" 30  3 * * * \",\"timezone\":\"Europe/Berlin\"}");
    assertThat(s)
        .isEqualTo(new Schedule.Cron("0 30 3 * * ?", ZoneId.of("Europe/Berlin"), "30 3 * * *"));
    assertThat(s.toJson())
        .isEqualTo(
            new JsonObject(
                "{\"cron\":\"0 30 3 * * ?\",\"timezone\":\"Europe/Berlin\","
                    + "\"crontab\":\"30 3 * * *\"}"));
  }

  @Test
  void a_macro_is_converted() {
    assertThat(parse("{\"cron\":\"@weekly\"}"))
        .isEqualTo(new Schedule.Cron("0 0 0 ? * 1", ZoneId.of("UTC"), "@weekly"));
  }

  @Test
  void every_answer_reads_back_as_the_same_schedule() {
    for (String json :
        new String[] {
          "{\"cron\":\"0 9 * * 1-5\",\"timezone\":\"America/New_York\"}",
          "{\"cron\":\"0 0/5 * * * ?\",\"timezone\":\"+08:00\"}",
          "{\"everySeconds\":30}",
          "{\"at\":\"2026-12-01T03:00:00Z\"}"
        }) {
      Schedule s = parse(json);
      assertThat(parse(s.toJson().encode())).as(json).isEqualTo(s);
    }
  }

  @Test
  void a_crontab_echoed_back_that_does_not_match_is_refused() {
    invalid(
        "{\"cron\":\"0 30 3 * * ?\",\"crontab\":\"30 4 * * *\"}",
        "schedule.crontab",
        "does not convert");
  }

  @Test
  void every_seconds() {
    Schedule s = parse("{\"everySeconds\":30}");
    assertThat(s).isEqualTo(new Schedule.Every(30));
    assertThat(s.toJson()).isEqualTo(new JsonObject("{\"everySeconds\":30}"));
    assertThat(parse("{\"everySeconds\":31536000}")).isEqualTo(new Schedule.Every(31_536_000));
  }

  @Test
  void a_one_shot_with_z_or_an_offset() {
    Schedule s = parse("{\"at\":\"2026-12-01T03:00:00Z\"}");
    assertThat(s).isEqualTo(new Schedule.At(Instant.parse("2026-12-01T03:00:00Z")));
    assertThat(s.toJson()).isEqualTo(new JsonObject("{\"at\":\"2026-12-01T03:00:00.000Z\"}"));
    assertThat(parse("{\"at\":\"2026-12-01T11:00:00+08:00\"}")).isEqualTo(s);
  }

  @ParameterizedTest
  @ValueSource(strings = {"abc", "0 0 25 * * ?", "0 0 0 ? * 0", "0 0 0 * * *", "0 0 0 1 * MON"})
  void a_bad_quartz_expression_gives_quartz_reason(String cron) {
    invalid(
        "{\"cron\":\"" + cron + "\"}",
        "schedule.cron",
        cron.equals("abc") ? "must have 6 or 7 fields" : "is not a valid Quartz cron expression: ");
  }

  @Test
  void quartz_messages_reach_the_operator() {
    invalid("{\"cron\":\"0 0 25 * * ?\"}", "schedule.cron", "Hour values must be between 0 and 23");
    invalid(
        "{\"cron\":\"0 0 0 * * *\"}", "schedule.cron", "put '?' in day-of-month or day-of-week");
    invalid(
        "{\"cron\":\"0 0 0 ? * 0\"}",
        "schedule.cron",
        "Day-of-Week values must be between 1 and 7");
  }

  @Test
  void a_cron_that_never_fires_again_is_refused() {
    invalid("{\"cron\":\"0 0 0 1 1 ? 2025\"}", "schedule.cron", "never fires after");
  }

  @Test
  void steps_quartz_accepts_but_does_not_do_are_refused_in_new_schedules_and_read_when_stored() {
    // Quartz fires "MON-FRI/2" on every weekday and "*/0" every minute (checked against Quartz
    // 2.5.2): what the operator wrote is not what would run.
    invalid(
        "{\"cron\":\"0 0 12 ? * MON-FRI/2\"}",
        "schedule.cron",
        "day-of-week 'MON-FRI/2': Quartz ignores a step after names");
    invalid("{\"cron\":\"0 0 12 ? * MON-FRI/2\"}", "schedule.cron", "MON-FRI/2 is 2-6/2");
    invalid("{\"cron\":\"0 0 12 1 JAN-MAR/2 ?\"}", "schedule.cron", "JAN-MAR/2 is 1-3/2");
    invalid("{\"cron\":\"0 */0 * * * ?\"}", "schedule.cron", "minute '*/0': a step must be");
    invalid("{\"cron\":\"0 0/0 * * * ?\"}", "schedule.cron", "minute '0/0'");
    invalid("{\"cron\":\"*/0 * * * *\"}", "schedule.cron", "minute '*/0'");
    invalid("{\"cron\":\"0 0 12 ? * 1,MON-FRI/2\"}", "schedule.cron", "'MON-FRI/2'");
    // The numbers that mean it, and crontab's names with a step (converted to numbers), pass.
    assertThat(((Schedule.Cron) parse("{\"cron\":\"0 0 12 ? * 2-6/2\"}")).expression())
        .isEqualTo("0 0 12 ? * 2-6/2");
    assertThat(parse("{\"cron\":\"0 12 * * mon-fri/2\"}")).isNotNull();
    // A job stored before this check keeps its schedule.
    assertThat(
            ((Schedule.Cron) ScheduleParser.stored(new JsonObject("{\"cron\":\"0 */0 * * * ?\"}")))
                .expression())
        .isEqualTo("0 */0 * * * ?");
  }

  @Test
  void a_crontab_line_quartz_cannot_express_is_refused() {
    invalid("{\"cron\":\"0 0 1 * 1\"}", "schedule.cron", "both restricted");
    invalid("{\"cron\":\"0 0 * *\"}", "schedule.cron", "must have 6 or 7 fields");
  }

  @Test
  void unknown_zones_are_refused_with_a_hint() {
    invalid("{\"cron\":\"0 0 * * * ?\",\"timezone\":\"Mars/Base\"}", "schedule.timezone", "IANA");
    invalid(
        "{\"cron\":\"0 0 * * * ?\",\"timezone\":\"asia/shanghai\"}",
        "schedule.timezone",
        "did you mean 'Asia/Shanghai'?");
    invalid(
        "{\"cron\":\"0 0 * * * ?\",\"timezone\":\"EST\"}", "schedule.timezone", "not a time zone");
    invalid("{\"cron\":\"0 0 * * * ?\",\"timezone\":\"+08:00:30\"}", "schedule.timezone", "offset");
    invalid("{\"cron\":\"0 0 * * * ?\",\"timezone\":8}", "schedule.timezone", "must be a string");
  }

  @Test
  void fixed_offsets_are_accepted_in_any_spelling_and_kept_as_an_offset() {
    for (String id : new String[] {"+08:00", "UTC+08:00", "GMT+8", "UTC+8"}) {
      Schedule.Cron s =
          (Schedule.Cron) parse("{\"cron\":\"0 0 3 * * ?\",\"timezone\":\"" + id + "\"}");
      assertThat(s.zone()).as(id).isEqualTo(ZoneOffset.ofHours(8));
      assertThat(s.timeZone().getRawOffset()).as(id).isEqualTo(8 * 3600 * 1000);
      assertThat(s.next(NOW)).as(id).contains(Instant.parse("2026-01-15T19:00:00Z"));
    }
    assertThat(((Schedule.Cron) parse("{\"cron\":\"0 0 3 * * ?\",\"timezone\":\"Z\"}")).zone())
        .isEqualTo(ZoneOffset.UTC);
    assertThat(
            ((Schedule.Cron) parse("{\"cron\":\"0 0 3 * * ?\",\"timezone\":\"Etc/GMT-8\"}")).zone())
        .isEqualTo(ZoneId.of("Etc/GMT-8"));
  }

  @Test
  void every_seconds_must_be_a_whole_number_in_range() {
    invalid("{\"everySeconds\":0}", "schedule.everySeconds", "got 0");
    invalid("{\"everySeconds\":-1}", "schedule.everySeconds", "got -1");
    invalid("{\"everySeconds\":\"10\"}", "schedule.everySeconds", "got the string '10'");
    invalid("{\"everySeconds\":1.5}", "schedule.everySeconds", "whole number");
    invalid("{\"everySeconds\":31536001}", "schedule.everySeconds", "between 1 and 31536000");
  }

  @Test
  void at_must_be_in_the_future_and_carry_an_offset() {
    invalid("{\"at\":\"2026-01-15T11:59:59Z\"}", "schedule.at", "is not in the future");
    invalid("{\"at\":\"2026-01-15T12:00:00Z\"}", "schedule.at", "is not in the future");
    invalid("{\"at\":\"2026-12-01T03:00:00\"}", "schedule.at", "with Z or an offset");
    invalid("{\"at\":\"tomorrow\"}", "schedule.at", "ISO-8601");
    invalid("{\"at\":1767225600}", "schedule.at", "must be a string");
    // Past the stored times' range (before: 500 from a long overflow, after the job was stored).
    invalid("{\"at\":\"+999999999-12-31T23:59:59Z\"}", "schedule.at", "must be before 10000");
    invalid("{\"at\":\"+10000-01-01T00:00:00Z\"}", "schedule.at", "must be before 10000");
  }

  @Test
  void exactly_one_kind() {
    invalid(
        "{\"cron\":\"0 0 * * * ?\",\"everySeconds\":30}", "schedule", "has cron and everySeconds");
    invalid("{\"everySeconds\":30,\"at\":\"2026-12-01T03:00:00Z\"}", "schedule", "exactly one");
    invalid("{}", "schedule", "needs one of 'cron', 'everySeconds' or 'at'");
    invalid("{\"timezone\":\"UTC\"}", "schedule", "needs one of");
  }

  @Test
  void a_timezone_belongs_only_beside_cron() {
    invalid(
        "{\"everySeconds\":30,\"timezone\":\"UTC\"}",
        "schedule.timezone",
        "only allowed beside 'cron'");
  }

  @Test
  void unknown_keys_are_refused() {
    invalid("{\"everySeconds\":30,\"jitter\":5}", "schedule.jitter", "unknown field");
  }

  @Test
  void a_schedule_that_is_not_an_object_is_refused() {
    invalid(() -> ScheduleParser.parse("0 0 * * * ?", NOW), "schedule", "must be an object");
    invalid(() -> ScheduleParser.parse(30, NOW), "schedule", "must be an object");
  }

  @Test
  void every_problem_is_listed() {
    assertThatThrownBy(() -> parse("{\"cron\":\"0 0 25 * * ?\",\"timezone\":\"Nowhere\",\"x\":1}"))
        .isInstanceOfSatisfying(
            Invalid.class,
            e ->
                assertThat(e.problems())
                    .extracting(Invalid.Problem::field)
                    .containsExactlyInAnyOrder("schedule.x", "schedule.timezone", "schedule.cron"));
  }
}
