package io.nightshift.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class InstantsTest {

  @Test
  void the_hand_written_format_and_parse_agree_with_java_time() {
    Random random = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      Instant instant =
          Instant.ofEpochMilli(random.nextLong() % 253_402_300_799_000L).plusMillis(0);
      if (instant.isBefore(Instant.parse("1000-01-01T00:00:00Z"))) {
        instant = Instant.ofEpochMilli(Math.abs(instant.toEpochMilli()));
      }
      String text = Instants.format(instant);
      assertThat(text)
          .isEqualTo(
              java.time.format.DateTimeFormatter.ISO_INSTANT
                  .format(instant.plusNanos(1))
                  .replaceAll("\\.(\\d{3})\\d*Z$", ".$1Z"));
      assertThat(Instants.parse(text)).isEqualTo(instant);
    }
  }

  @Test
  void examples_read_and_write_as_documented() {
    Instant t = Instant.parse("2026-11-22T03:30:01.123Z");
    assertThat(Instants.format(t)).isEqualTo("2026-11-22T03:30:01.123Z");
    assertThat(Instants.format(Instant.parse("2026-01-02T03:04:05Z")))
        .isEqualTo("2026-01-02T03:04:05.000Z");
    assertThat(Instants.parse("2026-11-22T11:30:01.123+08:00")).isEqualTo(t);
    assertThat(Instants.parse("2026-11-22T03:30:01Z"))
        .isEqualTo(Instant.parse("2026-11-22T03:30:01Z"));
    assertThatThrownBy(() -> Instants.parse("2026-13-22T03:30:01.123Z"))
        .isInstanceOf(DateTimeParseException.class);
  }
}
