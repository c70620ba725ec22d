package io.nightshift.web.console;

import static io.nightshift.web.TestSteps.command;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.logs.LogStore;
import io.nightshift.web.RunCopies;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * The console at scale, in the real browser: a step of 200,000 lines opens at its tail and loads
 * earlier pages as the reader scrolls up (without the view jumping), and the runs list pages
 * through 100,000 runs. Times to first paint are printed.
 */
class ConsoleScaleTest extends ConsoleSession {
  static final int LINES = 200_000;
  static final int RUNS = 100_000;
  static final double LINE_PX = 18;

  /** Starts timing a console route: the time at which css first shows text is then recorded. */
  private void openTimed(String hash, String css, String text) {
    browser.script(
        "window.__painted = null; window.__t0 = performance.now();"
            + " const seen = () => [...document.querySelectorAll(arguments[0])]"
            + "   .some((e) => e.textContent.includes(arguments[1]));"
            + " const o = new MutationObserver(() => { if (seen()) { o.disconnect();"
            + "   requestAnimationFrame(() => { window.__painted = performance.now() - window.__t0; });"
            + " } });"
            + " o.observe(document.body, {childList: true, subtree: true, characterData: true});"
            + " location.hash = arguments[2];",
        css,
        text,
        hash);
  }

  private double painted(String what) {
    Number ms =
        browser.await(() -> (Number) browser.script("return window.__painted"), what + " painted");
    System.out.printf(
        Locale.ROOT, "[console] %s: first paint after %.0f ms%n", what, ms.doubleValue());
    return ms.doubleValue();
  }

  @Test
  void a_200k_line_step_opens_at_its_tail_and_scrolling_up_loads_earlier_lines_in_place() {
    long id = finishedRun("huge-log", "SUCCEEDED", command("spew", "echo started"));
    JsonObject step = run(id).getJsonArray("steps").getJsonObject(0);
    long stepRunId = step.getLong("id");
    Instant t0 = Instant.parse(step.getString("finishedAt"));
    LogStore store = new LogStore(server.nightshift().database());
    List<LogLine> batch = new ArrayList<>();
    long began = System.nanoTime();
    for (int i = 1; i <= LINES; i++) {
      batch.add(
          new LogLine(
              id, stepRunId, "spew", 1, i + 1, t0.plusMillis(i / 50), "stdout", "big line " + i));
      if (batch.size() == 10_000) {
        store.insert(batch);
        batch.clear();
      }
    }
    System.out.printf(
        Locale.ROOT,
        "[console] stored %,d lines in %d ms%n",
        LINES,
        (System.nanoTime() - began) / 1_000_000);

    // The step's recorded count, as the executor would have written it.
    server
        .nightshift()
        .database()
        .dsl()
        .execute("UPDATE run_step SET line_count = ? WHERE id = ?", LINES + 1, stepRunId);

    browser.signIn(operator);
    openTimed("#/runs/" + id + "?step=spew", ".log .line", "big line " + LINES);
    painted("run page with a 200,000-line step");
    // The live stream, resumed after the last line shown, has nothing to add and ends at once.
    long streamAt = System.nanoTime();
    browser.await(
        () -> browser.find("#log-count").getText().equals("1,000 loaded lines of 200,001"),
        "the stream to end");
    System.out.printf(
        Locale.ROOT,
        "[console] the stream ended %d ms after the first paint%n",
        (System.nanoTime() - streamAt) / 1_000_000);
    browser.find("#load-earlier");
    browser.screenshot("25-run-200k-tail");

    // Scrolled to the top, the row under "Load earlier lines" is the first loaded line; once the
    // page before it is in, that line is still exactly there (the view does not jump).
    for (int loaded = 2; loaded <= 3; loaded++) {
      String firstLoaded = "big line " + (LINES - (loaded - 1) * 1000 + 1);
      browser.script("document.querySelector('.log').scrollTop = 0");
      browser.waitForText("#log-count", "%,d loaded lines".formatted(loaded * 1000));
      browser.await(
          () -> {
            double top = rowTop(firstLoaded);
            return Math.abs(top - LINE_PX) < 0.5 ? true : null;
          },
          firstLoaded + " in place");
    }
    browser.screenshot("26-run-200k-scrolled-up");
    assertThat(browser.all(".log .line").size()).as("rows in the page").isLessThan(100);
  }

  /** Where the row showing the text is, in px below the top of the log box; -1 if not shown. */
  private double rowTop(String text) {
    Number top =
        (Number)
            browser.script(
                "const box = document.querySelector('.log').getBoundingClientRect().top;"
                    + " const row = [...document.querySelectorAll('.log .line')]"
                    + "   .find((e) => e.querySelector('.lt')?.textContent === arguments[0]);"
                    + " return row ? row.getBoundingClientRect().top - box : -1;",
                text);
    return top.doubleValue();
  }

  @Test
  void the_runs_list_pages_through_100k_runs() {
    long id = finishedRun("many-runs", "SUCCEEDED", command("noop", "true"));
    long began = System.nanoTime();
    int copied = RunCopies.insert(server.nightshift().database(), id, RUNS);
    assertThat(copied).isEqualTo(RUNS);
    System.out.printf(
        Locale.ROOT,
        "[console] stored %,d runs in %d ms%n",
        RUNS,
        (System.nanoTime() - began) / 1_000_000);
    long newest = id + RUNS;

    browser.signIn(operator);
    openTimed("#/runs", "table.runs a", "#" + newest);
    painted("runs list over 100,000 runs");
    browser.click(".pager button:nth-child(2)");
    browser.waitForText("table.runs", "#" + (newest - 50));
    assertThat(browser.driver().getCurrentUrl()).contains("before=" + (newest - 49));
    openTimed("#/runs?template=many-runs&before=" + (id + 50), "table.runs a", "#" + (id + 49));
    painted("runs list, a deep page of one template");
    browser.screenshot("27-runs-100k");
  }
}
