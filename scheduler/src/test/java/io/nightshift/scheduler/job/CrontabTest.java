package io.nightshift.scheduler.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CrontabTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "30 3 * * *     | 0 30 3 * * ?",
        "*/15 * * * *   | 0 */15 * * * ?",
        "0 9 * * 1-5    | 0 0 9 ? * 2-6",
        "0 0 * * 0      | 0 0 0 ? * 1",
        "0 0 * * 7      | 0 0 0 ? * 1",
        "0 0 * * 5-7    | 0 0 0 ? * 6,7,1",
        "0 0 * * 0-6    | 0 0 0 ? * 1-7",
        "0 0 * * 0-7    | 0 0 0 ? * 1-7",
        "0 0 * * 1,3,5  | 0 0 0 ? * 2,4,6",
        "0 0 * * 6,0    | 0 0 0 ? * 7,1",
        "0 0 * * */2    | 0 0 0 ? * 1,3,5,7",
        "0 0 * * 1-5/2  | 0 0 0 ? * 2,4,6",
        "0 0 * * mon-fri| 0 0 0 ? * MON-FRI",
        "0 0 * * mon-fri/2 | 0 0 0 ? * 2,4,6",
        "0 0 * * sun-sat/2 | 0 0 0 ? * 1,3,5,7",
        "0 0 * * MON/2  | 0 0 0 ? * 2,4,6,1",
        "0 0 * * SUN    | 0 0 0 ? * SUN",
        "0 0 * * MON,3  | 0 0 0 ? * MON,4",
        "0 0 1 * *      | 0 0 0 1 * ?",
        "0 0 1,15 * *   | 0 0 0 1,15 * ?",
        "0 12 * jan,jul *| 0 0 12 * JAN,JUL ?",
        "5-10/5 0-6 * * *| 0 5-10/5 0-6 * * ?",
        "@hourly        | 0 0 * * * ?",
        "@daily         | 0 0 0 * * ?",
        "@midnight      | 0 0 0 * * ?",
        "@weekly        | 0 0 0 ? * 1",
        "@monthly       | 0 0 0 1 * ?",
        "@yearly        | 0 0 0 1 1 ?",
        "@annually      | 0 0 0 1 1 ?",
        "@DAILY         | 0 0 0 * * ?",
      })
  void converts_a_crontab_line_to_quartz(String crontab, String quartz) {
    assertThat(Crontab.toQuartz(crontab)).isEqualTo(quartz);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "0 0 1 * 1        | both restricted",
        "0 0 1-7 * */2    | both restricted",
        "0 0 * *          | 5 fields",
        "0 0 * * * *      | 5 fields",
        "0 0 * * 8        | 0-7",
        "0 0 * * 5-2      | backwards",
        "0 0 * * 5L       | unknown name",
        "0 0 L * *        | not crontab syntax",
        "0 0 ? * *        | not crontab syntax",
        "0 0 * * MONDAY   | unknown name",
        "0 0 * FOO *      | unknown name",
        "61 0 * * *       | Quartz refuses",
        "0 24 * * *       | Quartz refuses",
        "@reboot          | @reboot has no meaning",
        "@every5m         | unknown crontab macro",
      })
  void refuses_what_it_cannot_convert_with_a_reason(String crontab, String reason) {
    assertThatThrownBy(() -> Crontab.toQuartz(crontab))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(reason);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"0 9 * * 1-5", "0 0 * * 5-7", "0 0 * * */2", "0 0 * * 0,7", "0 0 * * 1-5/2"})
  void the_converted_day_of_week_names_the_same_days(String crontab) {
    // crontab days as java DayOfWeek values, checked against the days Quartz fires on
    String quartz = Crontab.toQuartz(crontab);
    var fires =
        new Schedule.Cron(quartz, java.time.ZoneOffset.UTC)
            .next(java.time.Instant.parse("2026-03-01T00:00:00Z"), 14).stream()
                .map(i -> i.atZone(java.time.ZoneOffset.UTC).getDayOfWeek())
                .distinct()
                .sorted()
                .toList();
    String dow = crontab.split(" ")[4];
    var expected =
        java.util.stream.IntStream.rangeClosed(0, 7)
            .filter(d -> matchesCrontab(dow, d))
            .mapToObj(d -> java.time.DayOfWeek.of(d == 0 ? 7 : d))
            .distinct()
            .sorted()
            .toList();
    assertThat(fires).isEqualTo(expected);
  }

  /** A tiny independent crontab day matcher (numbers only) for the test above. */
  private static boolean matchesCrontab(String field, int day) {
    for (String element : field.split(",")) {
      String range = element.contains("/") ? element.substring(0, element.indexOf('/')) : element;
      int step =
          element.contains("/") ? Integer.parseInt(element.substring(element.indexOf('/') + 1)) : 1;
      int from = range.equals("*") ? 0 : Integer.parseInt(range.split("-")[0]);
      int to =
          range.equals("*")
              ? 7
              : Integer.parseInt(range.contains("-") ? range.split("-")[1] : range);
      if (day >= from && day <= to && (day - from) % step == 0) {
        return true;
      }
    }
    return false;
  }
}
