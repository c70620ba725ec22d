package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SubstitutionTest {
  static final Map<String, String> V = Map.of("version", "1.2 & x=\"y\"\n", "host", "a/b?c");

  @Test
  void url_values_are_percent_encoded_so_they_cannot_change_the_target() {
    assertThat(Substitution.url("https://ci.example/deploy?v=$version&h=${host}", V))
        .isEqualTo("https://ci.example/deploy?v=1.2%20%26%20x%3D%22y%22%0A&h=a%2Fb%3Fc");
  }

  @Test
  void json_values_stay_inside_their_string() {
    String body = Substitution.json("{\"text\": \"game $version is live\"}", V);
    assertThat(new JsonObject(body).getString("text")).isEqualTo("game 1.2 & x=\"y\"\n is live");
  }

  @Test
  void header_values_cannot_add_a_header() {
    assertThat(Substitution.header("v=$version", V)).doesNotContain("\n").doesNotContain("\r");
  }

  @Test
  void unknown_names_are_left_as_written() {
    assertThat(Substitution.url("http://x/$nope/${also}", V)).isEqualTo("http://x/$nope/${also}");
  }
}
