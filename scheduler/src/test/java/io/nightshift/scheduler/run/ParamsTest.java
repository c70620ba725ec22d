package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.template.Template;
import io.nightshift.scheduler.template.TemplateParser;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParamsTest {
  static final Template T =
      TemplateParser.parse(
          new JsonObject(
              "{\"name\":\"t\",\"params\":["
                  + "{\"name\":\"version\",\"required\":true,\"pattern\":\"[0-9.]+\"},"
                  + "{\"name\":\"region\",\"default\":\"eu\",\"enum\":[\"eu\",\"us\"]},"
                  + "{\"name\":\"pw\",\"secret\":true}],"
                  + "\"steps\":[{\"name\":\"s\",\"kind\":\"command\",\"command\":\"true\"}]}"),
          null);

  @Test
  void run_values_beat_job_values_which_beat_defaults() {
    assertThat(Params.resolve(T, Map.of(), Map.of("version", "1.0"))).containsEntry("region", "eu");
    assertThat(Params.resolve(T, Map.of("region", "us"), Map.of("version", "1.0")))
        .containsEntry("region", "us");
    assertThat(
            Params.resolve(
                T,
                Map.of("region", "us", "version", "0.9"),
                Map.of("region", "eu", "version", "1.0")))
        .containsEntry("region", "eu")
        .containsEntry("version", "1.0");
  }

  @Test
  void every_broken_rule_names_its_parameter() {
    assertThatThrownBy(() -> Params.resolve(T, Map.of(), Map.of("region", "asia", "extra", "x")))
        .isInstanceOfSatisfying(
            Invalid.class,
            e ->
                assertThat(e.problems())
                    .extracting(Invalid.Problem::field)
                    .containsExactlyInAnyOrder("params.extra", "params.version", "params.region"));
    assertThatThrownBy(() -> Params.resolve(T, Map.of(), Map.of("version", "1.0; rm -rf /")))
        .hasMessageContaining("params.version")
        .hasMessageContaining("does not match");
  }

  @Test
  void a_secret_value_never_appears_in_an_error_or_a_masked_map() {
    Template strict =
        TemplateParser.parse(
            new JsonObject(
                "{\"name\":\"t\",\"params\":[{\"name\":\"pw\",\"secret\":true,\"pattern\":\"[a-z]+\"}],"
                    + "\"steps\":[{\"name\":\"s\",\"kind\":\"command\",\"command\":\"true\"}]}"),
            null);
    assertThatThrownBy(() -> Params.resolve(strict, Map.of(), Map.of("pw", "Hunter2")))
        .hasMessageNotContaining("Hunter2")
        .hasMessageContaining("******");
    Map<String, String> values =
        Params.resolve(T, Map.of(), Map.of("version", "1", "pw", "s3cr3t"));
    assertThat(Params.masked(T, values))
        .containsEntry("pw", "******")
        .containsEntry("version", "1");
    assertThat(Params.secrets(T, values)).containsExactly("s3cr3t");
  }

  @Test
  void a_value_in_the_stores_encrypted_form_is_refused_naming_the_parameter() {
    for (String name : new String[] {"version", "pw"}) {
      Map<String, String> values = new java.util.HashMap<>(Map.of("version", "1"));
      values.put(name, "nsenc:v1:abc:def");
      assertThatThrownBy(() -> Params.resolve(T, Map.of(), values))
          .as(name)
          .isInstanceOf(Invalid.class)
          .hasMessageContaining("params." + name)
          .hasMessageContaining("must not start with 'nsenc:v1:'");
    }
  }

  @Test
  void values_must_be_scalars() {
    assertThatThrownBy(() -> Params.read(new JsonObject("{\"v\":{\"a\":1}}"), "params"))
        .hasMessageStartingWith("params.v:");
    assertThat(Params.read(new JsonObject("{\"n\":3,\"b\":true}"), "params"))
        .containsEntry("n", "3")
        .containsEntry("b", "true");
  }

  @Test
  void a_secret_value_shorter_than_four_characters_is_refused_naming_the_parameter() {
    for (String shortValue : new String[] {"x", "ab", "abc"}) {
      assertThatThrownBy(
              () -> Params.resolve(T, Map.of(), Map.of("version", "1", "pw", shortValue)))
          .as(shortValue)
          .isInstanceOf(Invalid.class)
          .hasMessageContaining("params.pw")
          .hasMessageContaining("at least 4 characters");
    }
    assertThat(Params.resolve(T, Map.of("pw", "abcd"), Map.of("version", "1")))
        .containsEntry("pw", "abcd");
  }

  @Test
  void a_value_is_bounded_in_utf8_bytes_and_all_of_them_together() {
    String euros = "\u20ac".repeat(30_000); // 30,000 characters, 90,000 bytes
    assertThatThrownBy(() -> Params.resolve(T, Map.of(), Map.of("version", "1", "pw", euros)))
        .isInstanceOf(Invalid.class)
        .hasMessageContaining("params.pw: must be at most 65536 bytes in UTF-8, got 90000");
    assertThat(Params.resolve(T, Map.of(), Map.of("version", "1", "pw", "x".repeat(65_536))))
        .containsEntry("pw", "x".repeat(65_536));

    StringBuilder many = new StringBuilder("{\"name\":\"t\",\"params\":[");
    for (int i = 0; i < 20; i++) {
      many.append(i == 0 ? "" : ",").append("{\"name\":\"p").append(i).append("\"}");
    }
    many.append("],\"steps\":[{\"name\":\"s\",\"kind\":\"command\",\"command\":\"true\"}]}");
    Template wide = TemplateParser.parse(new JsonObject(many.toString()), null);
    Map<String, String> values = new java.util.HashMap<>();
    for (int i = 0; i < 20; i++) {
      values.put("p" + i, "y".repeat(60_000));
    }
    assertThatThrownBy(() -> Params.resolve(wide, Map.of(), values))
        .isInstanceOf(Invalid.class)
        .hasMessageContaining("params: the values together are 1200")
        .hasMessageContaining("at most 1048576");
    values.put("p0", "");
    values.put("p1", "");
    values.put("p2", "");
    assertThat(Params.resolve(wide, Map.of(), values)).hasSize(20);
  }
}
