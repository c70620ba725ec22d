package io.nightshift.executor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {
  private final List<String> lines = new ArrayList<>();

  private LineSplitter splitter(int keep) {
    return new LineSplitter(
        keep, (kept, overflow) -> lines.add(overflow == 0 ? kept : kept + "+" + overflow));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void lf_and_crlf_end_lines_and_a_last_line_without_newline_still_counts() {
    LineSplitter splitter = splitter(100);
    byte[] bytes = utf8("one\ntwo\r\nthree\rstill three\n\nlast");
    splitter.feed(bytes, 0, bytes.length);
    splitter.finish();

    assertThat(lines).containsExactly("one", "two", "three\rstill three", "", "last");
  }

  @Test
  void multibyte_characters_split_across_reads_are_decoded_whole() {
    LineSplitter splitter = splitter(100);
    byte[] bytes = utf8("héllo €uro 🌙\n");
    for (int i = 0; i < bytes.length; i++) {
      splitter.feed(bytes, i, 1);
    }
    splitter.finish();

    assertThat(lines).containsExactly("héllo €uro 🌙");
  }

  @Test
  void invalid_bytes_and_nul_become_replacement_characters() {
    LineSplitter splitter = splitter(100);
    byte[] bytes = {'a', (byte) 0xff, 'b', 0, 'c', (byte) 0xe2, (byte) 0x82};
    splitter.feed(bytes, 0, bytes.length);
    splitter.finish();

    assertThat(lines).containsExactly("a\uFFFDb\uFFFDc\uFFFD");
  }

  @Test
  void a_long_line_keeps_only_its_first_chars_and_counts_the_rest() {
    LineSplitter splitter = splitter(5);
    byte[] bytes = utf8("0123456789".repeat(10_000) + "\nok\n");
    splitter.feed(bytes, 0, bytes.length);
    splitter.finish();

    assertThat(lines).containsExactly("01234+99995", "ok");
  }

  @Test
  void a_trailing_carriage_return_at_end_of_stream_is_kept() {
    LineSplitter splitter = splitter(100);
    byte[] bytes = utf8("progress\r");
    splitter.feed(bytes, 0, bytes.length);
    splitter.finish();
    splitter.finish();

    assertThat(lines).containsExactly("progress\r");
  }
}
