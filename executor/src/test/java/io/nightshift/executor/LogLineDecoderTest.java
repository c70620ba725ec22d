package io.nightshift.executor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogLineDecoderTest {

  /**
   * Text of every kind a step can print: quotes, escapes, controls, surrogate pairs, bad UTF-16.
   */
  private static String randomText(Random random) {
    String[] pieces = {
      "plain",
      "\"quoted\"",
      "back\\slash",
      "/slash/",
      "\t\r\n\b\f",
      "\u0000\u0001\u001f\u007f",
      "é ü ß 中文",
      "\uD83D\uDE00 emoji",
      "\uD800 lone high",
      "lone low \uDC00",
      "\u2028\u2029",
      "</script>",
      "{\"json\":[1,2]}",
      " ",
      ""
    };
    StringBuilder out = new StringBuilder();
    int parts = random.nextInt(6);
    for (int i = 0; i < parts; i++) {
      out.append(
          random.nextInt(4) == 0
              ? Character.toString((char) random.nextInt(0x10000))
              : pieces[random.nextInt(pieces.length)]);
    }
    return out.toString();
  }

  private static LogLine randomLine(Random random) {
    return new LogLine(
        random.nextInt(3) == 0 ? Long.MAX_VALUE : random.nextLong(),
        random.nextInt(3) == 0 ? 0 : random.nextLong() & Long.MAX_VALUE,
        randomText(random),
        random.nextInt(3) == 0 ? Integer.MIN_VALUE : random.nextInt(),
        1 + (random.nextLong() & (Long.MAX_VALUE - 1)),
        Instant.ofEpochMilli(random.nextLong() % 253_402_300_799_000L),
        random.nextBoolean() ? LogLine.STDOUT : randomText(random),
        randomText(random));
  }

  @Test
  void every_line_the_sender_encodes_decodes_to_what_the_json_tree_reads() {
    Random random = new Random(7);
    for (int round = 0; round < 2_000; round++) {
      List<LogLine> lines = new ArrayList<>();
      JsonArray array = new JsonArray();
      int count = random.nextInt(5);
      for (int i = 0; i < count; i++) {
        LogLine line = randomLine(random);
        lines.add(line);
        array.add(line.toJson());
      }
      String encoded = array.encode();

      List<LogLine> decoded = LogLineDecoder.lines(encoded);

      List<LogLine> viaTree = new ArrayList<>();
      for (Object o : new JsonArray(encoded)) {
        viaTree.add(LogLine.fromJson((JsonObject) o));
      }
      assertThat(decoded).isEqualTo(viaTree);
      for (int i = 0; i < count; i++) {
        LogLine in = lines.get(i);
        assertThat(decoded.get(i).line()).isEqualTo(viaTree.get(i).line());
        assertThat(decoded.get(i).seq()).isEqualTo(in.seq());
        assertThat(decoded.get(i).runId()).isEqualTo(in.runId());
      }
    }
  }

  @Test
  void one_object_reads_like_the_tree_with_fields_in_any_order_blanks_and_unknown_fields() {
    String json =
        " {\n \"line\" : \"a\\u00e9\\n\\\"b\\\"\\/\", \"future\": {\"x\": [1, 2.5e3, -0.5, true,"
            + " null, \"s\"]}, \"stream\":\"stderr\",\"ts\":\"2026-11-22T03:30:01.123Z\","
            + "\"seq\":12,\"attempt\":2,\"step\":\"copy\",\"stepRunId\":9,\"runId\":-3 } ";

    LogLine line = LogLineDecoder.line(json);

    assertThat(line).isEqualTo(LogLine.fromJson(new JsonObject(json)));
    assertThat(line.line()).isEqualTo("aé\n\"b\"/");
    assertThat(line.ts()).isEqualTo(Instant.parse("2026-11-22T03:30:01.123Z"));
    assertThat(LogLineDecoder.lines(" [ ] ")).isEmpty();
  }

  @Test
  void anything_outside_the_contract_is_refused_naming_the_position() {
    String ok =
        "{\"runId\":1,\"stepRunId\":2,\"step\":\"s\",\"attempt\":1,\"seq\":3,"
            + "\"ts\":\"2026-11-22T03:30:01.123Z\",\"stream\":\"stdout\",\"line\":\"x\"}";
    assertThat(LogLineDecoder.line(ok).line()).isEqualTo("x");

    List<String> bad =
        List.of(
            ok.replace("\"runId\":1,", ""), // missing field
            ok.replace("\"line\":\"x\"", "\"line\":null"),
            ok.replace("\"line\":\"x\"", "\"line\":5"),
            ok.replace("\"seq\":3", "\"seq\":\"3\""),
            ok.replace("\"seq\":3", "\"seq\":3.0"),
            ok.replace("\"seq\":3", "\"seq\":1e3"),
            ok.replace("\"seq\":3", "\"seq\":03"),
            ok.replace("\"seq\":3", "\"seq\":99999999999999999999"),
            ok.replace("\"seq\":3", "\"seq\":0"), // seq counts from 1
            ok.replace("\"attempt\":1", "\"attempt\":4294967296"),
            ok.replace("\"line\":\"x\"", "\"line\":\"a\nb\""), // raw control character
            ok.replace("\"line\":\"x\"", "\"line\":\"\\q\""),
            ok.replace("\"line\":\"x\"", "\"line\":\"\\u12G4\""),
            ok.replace("\"line\":\"x\"", "\"line\":\"x"),
            ok.replace("\"ts\":\"2026-11-22T03:30:01.123Z\"", "\"ts\":\"yesterday\""),
            ok + "x",
            ok.substring(0, ok.length() - 1),
            "[" + ok,
            "[" + ok + ",]",
            "{}");
    for (String json : bad) {
      assertThatThrownBy(() -> LogLineDecoder.lines("[" + json + "]"))
          .as(json)
          .isInstanceOf(RuntimeException.class);
    }
    assertThatThrownBy(() -> LogLineDecoder.line(ok.replace("\"seq\":3", "\"seq\":3.0")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("seq must be an integer")
        .hasMessageContaining("at char");
  }
}
