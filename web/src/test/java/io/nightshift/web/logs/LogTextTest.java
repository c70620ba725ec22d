package io.nightshift.web.logs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.TestSteps.command;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GET /runs/{id}/logs.txt: a run's output as a text file for people. */
class LogTextTest {
  TestServer server;

  @BeforeEach
  void start() {
    server = TestServer.start(TestServer.Store.H2);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void the_whole_run_or_one_step_comes_as_plain_text_with_a_file_name_over_several_pages()
      throws Exception {
    long runId =
        run(
            command("many", "i=1; while [ $i -le 4500 ]; do echo \"line $i\"; i=$((i+1)); done"),
            command("oops", "echo to-stdout; echo to-stderr >&2"));

    Answer whole = server.get("/api/v1/runs/" + runId + "/logs.txt", ADMIN_TOKEN);
    assertThat(whole.status()).isEqualTo(200);
    assertThat(whole.response().headers().firstValue("Content-Type"))
        .hasValue("text/plain; charset=utf-8");
    assertThat(whole.response().headers().firstValue("Content-Disposition"))
        .hasValue("attachment; filename=\"run-" + runId + ".log\"");
    List<String> lines = whole.body().lines().toList();
    assertThat(lines).hasSize(4502);
    assertThat(lines.stream().filter(l -> l.contains(" many#1 stdout| line ")).toList())
        .hasSize(4500)
        .first()
        .asString()
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z many#1 stdout\\| line 1");
    assertThat(lines).anyMatch(l -> l.endsWith(" oops#1 stderr| to-stderr"));

    Answer one = server.get("/api/v1/runs/" + runId + "/logs.txt?step=oops", ADMIN_TOKEN);
    assertThat(one.status()).isEqualTo(200);
    assertThat(one.response().headers().firstValue("Content-Disposition"))
        .hasValue("attachment; filename=\"run-" + runId + "-oops.log\"");
    assertThat(one.body().lines().map(l -> l.substring(l.indexOf(' ') + 1)))
        .containsExactlyInAnyOrder("oops#1 stdout| to-stdout", "oops#1 stderr| to-stderr");
  }

  @Test
  void an_unknown_run_or_step_is_404_and_a_token_is_needed() throws Exception {
    long runId = run(command("only", "echo hi"));
    Answer noStep = server.get("/api/v1/runs/" + runId + "/logs.txt?step=nope", ADMIN_TOKEN);
    assertThat(noStep.status()).isEqualTo(404);
    assertThat(noStep.errorMessage()).isEqualTo("step of run " + runId + " 'nope' does not exist");
    assertThat(server.get("/api/v1/runs/999999/logs.txt", ADMIN_TOKEN).status()).isEqualTo(404);
    assertThat(server.get("/api/v1/runs/" + runId + "/logs.txt", null).status()).isEqualTo(401);
  }

  @Test
  void lines_a_step_writes_to_stdout_and_stderr_keep_their_order_when_it_writes_them_apart()
      throws Exception {
    // Lines written a moment apart (the OS gives no order between two pipes written in the same
    // instant; README "Logs as text"): the stored order must be the written order, from the very
    // first line (before, the readers started late and the first lines of the two pipes swapped).
    long runId =
        run(
            command(
                "mixed",
                "i=1; while [ $i -le 10 ]; do echo out$i; sleep 0.1; echo err$i >&2; sleep 0.1;"
                    + " i=$((i+1)); done"));
    List<String> texts =
        server
            .get("/api/v1/runs/" + runId + "/logs.txt?step=mixed", ADMIN_TOKEN)
            .body()
            .lines()
            .map(l -> l.substring(l.indexOf("| ") + 2))
            .toList();
    List<String> expected = new java.util.ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      expected.add("out" + i);
      expected.add("err" + i);
    }
    assertThat(texts).containsExactlyElementsOf(expected);
  }

  private long run(JsonObject... steps) throws InterruptedException {
    String name = "logs-" + System.nanoTime();
    JsonArray list = new JsonArray();
    for (JsonObject step : steps) {
      list.add(step.copy().put("needs", new JsonArray()));
    }
    Answer created =
        server.post(
            "/api/v1/templates",
            ADMIN_TOKEN,
            new JsonObject().put("name", name).put("steps", list).encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    long runId =
        server
            .post("/api/v1/runs", ADMIN_TOKEN, new JsonObject().put("template", name).encode())
            .json()
            .getLong("id");
    Awaitility.await()
        .atMost(60, TimeUnit.SECONDS)
        .until(
            () -> server.get("/api/v1/runs/" + runId, ADMIN_TOKEN).json().getString("status"),
            "SUCCEEDED"::equals);
    server.nightshift().logs().bus().flush();
    return runId;
  }
}
