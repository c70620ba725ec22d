package io.nightshift.web.runs;

import static io.nightshift.web.TestSteps.command;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.Sse;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code GET /runs/{id}/logs?before=}: a run's log read back from its end, over real HTTP. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LogTailApiTest {
  RunsApi api;

  @BeforeAll
  void start() {
    api = RunsApi.start(TestServer.Store.H2);
  }

  @AfterAll
  void stop() {
    api.close();
  }

  @Test
  void before_end_gives_the_last_lines_and_next_walks_back_to_the_first() {
    String template =
        api.template(
            "tail",
            new JsonArray(),
            command("alpha", RunInputAndOutputTest.printing("alpha", 12)),
            command("beta", RunInputAndOutputTest.printing("beta", 9)));
    long id = api.start(template, (JsonObject) null);
    assertThat(api.awaitEnd(id).getString("status")).isEqualTo("SUCCEEDED");
    api.awaitLogs(id, l -> l.size() == 21);

    Answer last = api.logsPage(id, "before=end&limit=5");
    assertThat(last.status()).as(last.toString()).isEqualTo(200);
    assertThat(texts(last)).containsExactly("beta-5", "beta-6", "beta-7", "beta-8", "beta-9");
    // `last` continues forward: nothing comes after the last line.
    Answer after = api.logsPage(id, "after=" + RunsApi.encode(last.json().getString("last")));
    assertThat(after.json().getJsonArray("items")).isEmpty();

    List<String> walked = new ArrayList<>();
    String before = "end";
    int pages = 0;
    do {
      Answer page = api.logsPage(id, "limit=5&before=" + RunsApi.encode(before));
      assertThat(page.status()).as(page.toString()).isEqualTo(200);
      walked.addAll(0, texts(page));
      before = page.json().getString("next");
      pages++;
    } while (before != null);
    assertThat(pages).isEqualTo(5);
    List<String> expected = new ArrayList<>();
    IntStream.rangeClosed(1, 12).forEach(i -> expected.add("alpha-" + i));
    IntStream.rangeClosed(1, 9).forEach(i -> expected.add("beta-" + i));
    assertThat(walked).containsExactlyElementsOf(expected);

    Answer alpha = api.logsPage(id, "step=alpha&before=end&limit=2");
    assertThat(texts(alpha)).containsExactly("alpha-11", "alpha-12");

    for (String bad : List.of("before=garbage", "before=end&after=x", "before=end&q=a")) {
      Answer rejected = api.logsPage(id, bad);
      assertThat(rejected.status()).as(rejected.toString()).isEqualTo(400);
      assertThat(rejected.errorMessage()).as(bad).contains("before");
    }
  }

  @Test
  void a_stream_resumed_after_the_last_line_of_an_ended_run_does_not_wait_for_earlier_lines()
      throws Exception {
    String template =
        api.template(
            "resumed", new JsonArray(), command("many", RunInputAndOutputTest.printing("n", 60)));
    long id = api.start(template, (JsonObject) null);
    assertThat(api.awaitEnd(id).getString("status")).isEqualTo("SUCCEEDED");
    api.awaitLogs(id, l -> l.size() == 60);
    String last = api.logsPage(id, "before=end&limit=10").json().getString("last");
    // Retention took the early lines: a client that holds the tail needs none of them, and the
    // stream must not wait for them to turn up (it waited 30 s per missing page).
    api.server
        .nightshift()
        .database()
        .dsl()
        .execute("DELETE FROM log_line WHERE run_id = ? AND seq <= 50", id);

    long began = System.nanoTime();
    Sse.Received stream =
        Sse.follow(
            api.server.port(),
            "/api/v1/runs/" + id + "/logs/stream?after=" + RunsApi.encode(last),
            api.operator);
    long tookMs = (System.nanoTime() - began) / 1_000_000;

    assertThat(stream.events()).extracting(Sse.Event::type).doesNotContain("log").contains("end");
    assertThat(tookMs).as("ms until the end event").isLessThan(10_000);
  }

  private static List<String> texts(Answer page) {
    return page.json().getJsonArray("items").stream()
        .map(o -> ((JsonObject) o).getString("line"))
        .toList();
  }
}
