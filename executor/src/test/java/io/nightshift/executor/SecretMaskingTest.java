package io.nightshift.executor;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.Outcome.Status;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A secret is masked in its encoded forms and inside error messages, not only as itself. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SecretMaskingTest {
  static final String SECRET = "pa ss/w?rd+ü=1";
  final CollectingSink sink = new CollectingSink();
  @TempDir Path dir;

  @Test
  void base64_and_url_encoded_forms_of_a_secret_are_masked_in_step_output() throws Exception {
    ProcessExecutor executor = new ProcessExecutor(Clock.systemUTC(), Duration.ofMillis(200));
    String script =
        "printf '%s' \"$s\" | base64 -w0; echo;"
            + " printf '%s' \"$s\" | base64 -w0 | tr -d '='; echo;"
            + " printf '%s' \"$s\" | base64 -w0 | tr '+/' '-_'; echo;"
            + " echo \"token=$form&x=1\"; echo \"url=http://h/?q=$percent\";"
            + " echo plain \"$s\" end";
    ProcessSpec spec =
        new ProcessSpec(
            List.of("sh", "-c", script),
            Map.of(
                "s",
                SECRET,
                "form",
                java.net.URLEncoder.encode(SECRET, java.nio.charset.StandardCharsets.UTF_8),
                "percent",
                java.net.URLEncoder.encode(SECRET, java.nio.charset.StandardCharsets.UTF_8)
                    .replace("+", "%20")),
            dir,
            null,
            Set.of(SECRET),
            1000,
            10_000);
    Outcome outcome = executor.start(spec, sink).outcome().get(20, TimeUnit.SECONDS);

    assertThat(outcome.status()).isEqualTo(Status.SUCCEEDED);
    String all = String.join("\n", sink.stdout());
    java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
    String encoded = b64.encodeToString(SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(all)
        .doesNotContain(SECRET)
        .doesNotContain(encoded)
        .doesNotContain(encoded.replace("=", ""))
        .contains("plain ****** end");
    assertThat(sink.stdout()).hasSize(6).allSatisfy(l -> assertThat(l).contains("******"));
  }

  @Test
  void a_secret_inside_an_http_error_message_is_masked_in_the_outcome_error() throws Exception {
    HttpExecutor executor = new HttpExecutor(Clock.systemUTC());
    String secret = "Bearer s3cr3t-value";
    HttpSpec spec =
        new HttpSpec(
            "GET",
            URI.create("http://127.0.0.1:9/"),
            Map.of("Authorization", secret + "\r\nX-Evil: 1"),
            null,
            200,
            Duration.ofSeconds(5),
            Set.of("s3cr3t-value"),
            100,
            1000);
    Outcome outcome = executor.start(spec, sink).outcome().get(20, TimeUnit.SECONDS);

    assertThat(outcome.status()).isEqualTo(Status.FAILED);
    assertThat(outcome.error()).doesNotContain("s3cr3t-value");
    assertThat(String.join("\n", sink.system())).doesNotContain("s3cr3t-value");
  }
}
