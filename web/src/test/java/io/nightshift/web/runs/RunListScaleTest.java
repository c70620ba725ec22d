package io.nightshift.web.runs;

import static io.nightshift.web.TestSteps.command;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.RunCopies;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /runs} with 100,000 runs stored, on H2 and on MariaDB (which must be running): keyset
 * pages (no count over the table), by status, template and deep in the history. Times printed.
 */
class RunListScaleTest {
  static final int RUNS = 100_000;

  @Test
  void h2() {
    pages(TestServer.Store.H2);
  }

  @Test
  void mariadb() {
    pages(TestServer.Store.MYSQL);
  }

  private void pages(TestServer.Store store) {
    try (RunsApi api = RunsApi.start(store)) {
      String template = api.template("bulk", new JsonArray(), command("noop", "true"));
      long id = api.start(template, (JsonObject) null);
      assertThat(api.awaitEnd(id).getString("status")).isEqualTo("SUCCEEDED");
      long began = System.nanoTime();
      // Copies of the run: nine in ten SUCCEEDED, one in ten FAILED and started by a job.
      int copied = RunCopies.insert(api.server.nightshift().database(), id, RUNS);
      assertThat(copied).isEqualTo(RUNS);
      report(store, "stored %,d runs in %d ms", RUNS, (System.nanoTime() - began) / 1_000_000);
      long newest = id + RUNS;

      JsonArray first = timed(api, store, "newest 50", "limit=50");
      assertThat(first.getJsonObject(0).getLong("id")).isEqualTo(newest);
      JsonArray deep =
          timed(api, store, "50 from the middle", "limit=50&before=" + (id + RUNS / 2));
      assertThat(deep.getJsonObject(0).getLong("id")).isEqualTo(id + RUNS / 2 - 1);
      JsonArray failed = timed(api, store, "newest 50 FAILED", "limit=50&status=FAILED");
      assertThat(failed)
          .hasSize(50)
          .allMatch(r -> ((JsonObject) r).getString("status").equals("FAILED"));
      JsonArray oneTemplate =
          timed(api, store, "50 of one job, deep", "limit=50&job=nightly&before=" + (id + 1000));
      assertThat(oneTemplate).hasSize(50);
      JsonArray none = timed(api, store, "a status no run has", "limit=50&status=TIMED_OUT");
      assertThat(none).isEmpty();
      timed(api, store, "newest 500", "limit=500");
      timed(
          api,
          store,
          "50 of the template, deep",
          "limit=50&template=" + template + "&before=" + (id + 100));
    }
  }

  /** Asks five times (the machine is shared: one sample says little) and prints the median. */
  private static JsonArray timed(RunsApi api, TestServer.Store store, String what, String query) {
    double[] ms = new double[5];
    Answer answer = null;
    for (int i = 0; i < ms.length; i++) {
      long began = System.nanoTime();
      answer = api.server.get("/api/v1/runs?" + query, api.operator);
      ms[i] = (System.nanoTime() - began) / 1e6;
      assertThat(answer.status()).as(answer.toString()).isEqualTo(200);
    }
    java.util.Arrays.sort(ms);
    report(store, "GET /runs?%s (%s): median %.1f ms, best %.1f ms", query, what, ms[2], ms[0]);
    return answer.json().getJsonArray("items");
  }

  private static void report(TestServer.Store store, String format, Object... args) {
    System.out.printf(Locale.ROOT, "[%s] %s%n", store, String.format(Locale.ROOT, format, args));
  }
}
