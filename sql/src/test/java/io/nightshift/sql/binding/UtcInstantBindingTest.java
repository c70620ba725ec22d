package io.nightshift.sql.binding;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class UtcInstantBindingTest {
  private static final DateTimeFormatter REFERENCE =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  @Test
  void writes_an_instant_as_utc_wall_time_truncated_to_the_millisecond() {
    assertEquals(
        "2026-11-22 03:30:01.123",
        UtcInstantBinding.text(Instant.parse("2026-11-22T03:30:01.123999999Z")));
    assertEquals("1970-01-01 00:00:00.000", UtcInstantBinding.text(Instant.EPOCH));
    assertEquals(
        "1969-12-31 23:59:59.999",
        UtcInstantBinding.text(Instant.parse("1969-12-31T23:59:59.999Z")));
    assertEquals(
        "2024-02-29 23:59:59.009",
        UtcInstantBinding.text(Instant.parse("2024-02-29T23:59:59.009Z")));
  }

  @Test
  void agrees_with_the_formatter_over_the_years_a_datetime_holds_and_beyond() {
    SplittableRandom random = new SplittableRandom(42);
    long from = Instant.parse("0001-01-01T00:00:00Z").getEpochSecond();
    long to = Instant.parse("+12000-01-01T00:00:00Z").getEpochSecond();
    for (int i = 0; i < 200_000; i++) {
      Instant instant =
          Instant.ofEpochSecond(random.nextLong(from, to), random.nextInt(1_000_000_000));
      assertEquals(REFERENCE.format(instant), UtcInstantBinding.text(instant), instant.toString());
    }
  }
}
