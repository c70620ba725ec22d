package io.nightshift.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class LineFormatTest {

  @Test
  void a_short_line_without_secrets_is_unchanged() {
    assertThat(new LineFormat(10, Set.of()).render("hello", 0)).isEqualTo("hello");
  }

  @Test
  void a_line_over_the_limit_is_cut_with_the_count_of_chars_not_shown() {
    LineFormat format = new LineFormat(5, Set.of());
    assertThat(format.keep()).isEqualTo(5);
    assertThat(format.render("01234", 7)).isEqualTo("01234 [cut: 7 more chars]");
  }

  @Test
  void every_occurrence_is_masked_and_the_longest_secret_wins() {
    LineFormat format = new LineFormat(100, Set.of("pass", "password1", ""));
    assertThat(format.render("password1 pass passport", 0)).isEqualTo("****** ****** ******port");
  }

  @Test
  void a_secret_crossing_the_limit_is_masked_whole() {
    LineFormat format = new LineFormat(6, Set.of("topsecret"));
    // The limit plus the longest masked form: base64 of "topsecret" has 12 chars.
    assertThat(format.keep()).isEqualTo(6 + 12);
    assertThat(format.render("abcd" + "topsecret" + "xy", 0))
        .isEqualTo("abcd****** [cut: 2 more chars]");
  }

  @Test
  void the_beginning_of_a_secret_at_the_end_of_the_kept_chars_is_never_shown() {
    String secret = "abcdefghijklmnopqrstuvwxyz";
    LineFormat format = new LineFormat(10, Set.of(secret));
    // kept: "xx" + secret + "abcdefgh" (36 chars); the line went on with 5 more chars.
    String kept = "xx" + secret + "abcdefgh";
    // The limit plus the longest masked form (base64 of the 26 chars: 36).
    assertThat(format.keep()).isEqualTo(10 + 36);

    assertThat(format.render(kept, 5)).isEqualTo("xx****** [cut: 13 more chars]");
  }

  @Test
  void a_surrogate_pair_is_not_split_by_the_cut() {
    LineFormat format = new LineFormat(3, Set.of());
    assertThat(format.render("ab🌙", 1)).isEqualTo("ab [cut: 3 more chars]");
  }

  @Test
  void each_line_of_a_multi_line_secret_is_masked() {
    LineFormat format = new LineFormat(100, Set.of("-----BEGIN KEY-----\nMIIsecretbody\n"));
    assertThat(format.render("MIIsecretbody", 0)).isEqualTo("******");
  }
}
