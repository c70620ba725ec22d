package io.nightshift.web.logs;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.RedisProcess;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A plain {@code redis-cli PSUBSCRIBE 'nightshift:log:*'} sees every line as the documented JSON.
 */
class RedisCliFollowTest {

  @Test
  void redis_cli_psubscribe_receives_the_documented_json_while_a_run_prints() throws Exception {
    try (RedisProcess redis = RedisProcess.start();
        TestServer server = TestServer.start(TestServer.Store.MYSQL, redis.url())) {
      String port = redis.url().substring(redis.url().lastIndexOf(':') + 1);
      Process cli =
          new ProcessBuilder("redis-cli", "-p", port, "--no-raw", "PSUBSCRIBE", "nightshift:log:*")
              .redirectErrorStream(true)
              .start();
      List<String> output = new CopyOnWriteArrayList<>();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line = in.readLine(); line != null; line = in.readLine()) {
                    output.add(line);
                  }
                } catch (java.io.IOException e) {
                  // the process was stopped
                }
              });
      reader.start();
      try {
        Awaitility.await()
            .atMost(10, TimeUnit.SECONDS)
            .until(() -> String.join("\n", output).contains("psubscribe"));
        server.post(
            "/api/v1/templates",
            TestServer.ADMIN_TOKEN,
            "{\"name\":\"hello\",\"steps\":[{\"name\":\"greet\",\"kind\":\"command\",\"command\":\"echo one; echo two >&2\"}]}");
        Answer run =
            server.post("/api/v1/runs", TestServer.ADMIN_TOKEN, "{\"template\":\"hello\"}");
        assertThat(run.status()).as(run.toString()).isEqualTo(202);
        Awaitility.await()
            .atMost(30, TimeUnit.SECONDS)
            .until(() -> output.stream().filter(l -> l.contains("\\\"line\\\"")).count() >= 2);
      } finally {
        cli.destroy();
        cli.waitFor(10, TimeUnit.SECONDS);
      }
      List<JsonObject> lines =
          output.stream()
              .filter(l -> l.contains("\\\"line\\\""))
              .map(RedisCliFollowTest::unquote)
              .map(JsonObject::new)
              .toList();
      assertThat(lines).hasSize(2);
      assertThat(lines)
          .allSatisfy(
              l -> {
                assertThat(l.fieldNames())
                    .containsExactlyInAnyOrder(
                        "runId", "stepRunId", "step", "attempt", "seq", "ts", "stream", "line");
                assertThat(l.getString("step")).isEqualTo("greet");
                assertThat(l.getInteger("attempt")).isEqualTo(1);
                assertThat(l.getString("ts"))
                    .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
              });
      assertThat(lines)
          .extracting(l -> l.getString("stream") + ":" + l.getString("line"))
          .containsExactlyInAnyOrder("stdout:one", "stderr:two");
      assertThat(String.join("\n", output))
          .contains("nightshift:log:" + lines.get(0).getLong("runId"));
    }
  }

  /** redis-cli prints a bulk string as {@code 3) "{\"runId\":...}"}. */
  static String unquote(String line) {
    String quoted = line.substring(line.indexOf('"') + 1, line.lastIndexOf('"'));
    return quoted.replace("\\\"", "\"").replace("\\\\", "\\");
  }
}
