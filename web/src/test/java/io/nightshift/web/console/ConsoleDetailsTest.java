package io.nightshift.web.console;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.TestSteps.command;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.template.EarlierBodies;
import io.nightshift.web.TcpProxy;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.WebElement;

/**
 * The console's smaller promises, each in the real browser: times that stay true, a phone-width
 * layout that does not scroll sideways, the search counter, readable audit details, the API
 * reference link, the log download, the template diff and CANCELING runs on the overview.
 */
class ConsoleDetailsTest extends ConsoleSession {
  /**
   * How far the page or the element (css) reaches past the window's right edge, in px, at least 0.
   */
  static final String SIDEWAYS =
      "const e = document.querySelector(arguments[0]);"
          + " return Math.max(0, document.documentElement.scrollWidth"
          + " - document.documentElement.clientWidth, e.scrollWidth - e.clientWidth);";

  /** A long kill grace, so that a step which ignores SIGTERM keeps its run CANCELING a while. */
  @Override
  Config config() {
    Config config = super.config();
    Config.Runs runs = config.runs();
    return config.withRuns(
        new Config.Runs(
            runs.defaultTimeoutSeconds(), runs.maxLinesPerStep(), runs.maxLineLength(), 60));
  }

  /** The browser reaches the node through a proxy, which a test cuts as a network would. */
  private TcpProxy proxy;

  @Override
  int browserPort() {
    proxy = TcpProxy.to(server.port());
    return proxy.port();
  }

  /** A test that failed with the proxy cut leaves it restored for the next. */
  @AfterEach
  void restoreProxy() {
    proxy.restore();
  }

  @AfterAll
  void closeProxy() {
    proxy.close();
  }

  @Test
  void a_followed_log_whose_connection_broke_goes_on_where_it_stopped_with_each_line_once()
      throws Exception {
    // Lines 3-8 come only once the test says so: after the network is cut (a loaded machine could
    // otherwise show line 2 after the stream had already brought every line and ended).
    try (Gate gate = new Gate()) {
      followedAcrossABrokenConnection(gate);
    }
  }

  private void followedAcrossABrokenConnection(Gate gate) throws Exception {
    createTemplate(
        new JsonObject()
            .put("name", "counting")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        command(
                            "count",
                            "echo line 1; echo line 2; "
                                + gate.waiting()
                                + "; for i in $(seq 3 8); do echo line $i; sleep 0.1; done"))
                    .add(command("after", "echo done"))));
    long id = startRun("counting", new JsonObject());
    browser.signIn(operator);
    browser.open("#/runs/" + id);
    browser.waitForText(".log .line", "line 2");

    // The network drops until the run is over; the page's tries meanwhile fail.
    browser.expectError("net::ERR_");
    proxy.cut();
    browser.waitForText("#log-count", "reconnecting");
    gate.open();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> server.get("/api/v1/runs/" + id, ADMIN_TOKEN).json().getString("status"),
            "SUCCEEDED"::equals);
    proxy.restore();

    browser.waitForText(".log .line", "done");
    browser.await(
        () -> "SUCCEEDED".equals(browser.find("#run-status").getAttribute("data-status")),
        "the run shown SUCCEEDED");
    List<String> lines =
        browser.all(".log .line .lt").stream().map(e -> e.getText().trim()).toList();
    List<String> expected = new java.util.ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      expected.add("line " + i);
    }
    expected.add("done");
    assertThat(lines).containsExactlyElementsOf(expected);
    browser.screenshot("followed-across-a-broken-connection");
  }

  @Test
  void a_followed_log_whose_connection_went_silent_is_opened_again_after_three_missed_keepalives()
      throws Exception {
    // Keepalives every 0.5 s for the streams this test opens: silence is noticed after 1.5 s.
    System.setProperty("nightshift.streamKeepaliveMs", "500");
    try (Gate gate = new Gate()) {
      createTemplate(
          new JsonObject()
              .put("name", "quiet-count")
              .put(
                  "steps",
                  new JsonArray().add(command("count", gate.command("line 1", "line 2")))));
      long id = startRun("quiet-count", new JsonObject());
      browser.signIn(operator);
      browser.open("#/runs/" + id);
      browser.waitForText(".log .line", "line 1");

      // The stream's connection carries nothing more, not even a close; other requests go on.
      Awaitility.await().atMost(Browser.WAIT).until(() -> proxy.openStreams() == 1);
      proxy.silenceStreams();
      gate.open();
      try {
        browser.waitForText(".log .line", "line 2");
      } catch (AssertionError e) {
        // What the node says of the run, and what the proxy carries, beside what the page shows.
        throw new AssertionError(
            e.getMessage() + "\nthe run as stored: " + run(id).encodePrettily() + "\n" + proxy, e);
      }
      browser.await(
          () -> "SUCCEEDED".equals(browser.find("#run-status").getAttribute("data-status")),
          "the run shown SUCCEEDED");
      assertThat(browser.all(".log .line .lt").stream().map(e -> e.getText().trim()).toList())
          .containsExactly("line 1", "line 2");
    } finally {
      System.clearProperty("nightshift.streamKeepaliveMs");
    }
  }

  @Test
  void a_running_steps_lines_count_up_as_they_arrive() throws Exception {
    try (Gate gate = new Gate()) {
      createTemplate(
          new JsonObject()
              .put("name", "counted")
              .put(
                  "steps",
                  new JsonArray()
                      .add(command("first", "echo only"))
                      .add(
                          command("second", gate.command("one; echo two; echo three", "four"))
                              .put("needs", new JsonArray().add("first")))));
      long id = startRun("counted", new JsonObject());
      browser.signIn(operator);
      // Only the first step's log is shown: the second's lines are counted all the same.
      browser.open("#/runs/" + id + "?step=first");
      browser.waitForText(".steps tbody tr:nth-child(2) td[data-label=Lines]", "3");
      assertThat(browser.textOf(".steps tbody tr:nth-child(2) td[data-label=Status]"))
          .contains("running");
      assertThat(browser.textOf(".steps tbody tr:nth-child(1) td[data-label=Lines]"))
          .isEqualTo("1");

      browser.screenshot("run-lines-counted");

      gate.open();
      browser.await(
          () -> "SUCCEEDED".equals(browser.find("#run-status").getAttribute("data-status")),
          "the run shown SUCCEEDED");
      assertThat(browser.textOf(".steps tbody tr:nth-child(2) td[data-label=Lines]"))
          .isEqualTo("4");
      assertThat(browser.textOf("#log-count")).matches("1 line( ·.*)?");
    }
  }

  /**
   * A file a step waits for: closing opens it if the test did not (a failed test leaves no step
   * waiting) and leaves its folder to be deleted when the JVM exits (the step must see it first).
   */
  private static final class Gate implements AutoCloseable {
    private final java.nio.file.Path folder =
        io.nightshift.scheduler.TempFolders.create("console-gate-");
    private final java.nio.file.Path file = folder.resolve("open");

    /** A command that prints {@code first}, waits for the gate, then prints {@code then}. */
    String command(String first, String then) {
      return "echo " + first + "; " + waiting() + "; echo " + then;
    }

    /** Shell that waits until the gate is open. */
    String waiting() {
      return "while [ ! -e " + file + " ]; do sleep 0.1; done";
    }

    void open() throws java.io.IOException {
      if (!java.nio.file.Files.exists(file)) {
        java.nio.file.Files.createFile(file);
      }
    }

    @Override
    public void close() throws java.io.IOException {
      open();
      io.nightshift.scheduler.TempFolders.deleteAtExit(folder);
    }
  }

  @Test
  void a_run_page_whose_refresh_failed_keeps_the_run_shown_and_refreshes_once_the_server_answers()
      throws Exception {
    try (Gate gate = new Gate()) {
      refreshFailsThenRecovers(gate);
    }
  }

  private void refreshFailsThenRecovers(Gate gate) throws Exception {
    createTemplate(
        new JsonObject()
            .put("name", "refreshed")
            .put("steps", new JsonArray().add(command("tick", gate.command("tick 1", "tick 2")))));
    long id = startRun("refreshed", new JsonObject());
    browser.signIn(operator);
    browser.open("#/runs/" + id);
    browser.waitForText(".log .line", "tick 1");

    // Every request fails but the live stream's, then the run ends: the page's reload fails.
    browser.expectError("net::ERR_");
    proxy.keepOnlyStreams();
    gate.open();
    browser.waitForText(".stale", "cannot be reached");
    browser.waitForText(".log .line", "tick 2");
    assertThat(browser.all(".log .line")).as("the log stays shown").hasSize(2);
    assertThat(browser.find("#run-status").getAttribute("data-status"))
        .as("what was shown, marked out of date")
        .isEqualTo("RUNNING");
    browser.screenshot("run-refresh-failed");

    proxy.restore();
    browser.await(
        () -> "SUCCEEDED".equals(browser.find("#run-status").getAttribute("data-status")),
        "the run shown SUCCEEDED without a click");
    browser.await(() -> browser.first(".stale") == null, "the out-of-date note gone");
  }

  @Test
  void start_run_clicked_again_after_its_answer_was_lost_starts_one_run() {
    createTemplate(
        new JsonObject()
            .put("name", "started-once")
            .put("steps", new JsonArray().add(command("only", "true"))));
    browser.signIn(operator);
    browser.open("#/start?template=started-once");
    browser.find("#start-run");

    // The next connection (the browser keeps none open) delivers the request and loses its answer.
    proxy.dropConnections();
    proxy.loseNextAnswer();
    browser.expectError("net::ERR_");
    browser.click("#start-run");
    browser.waitForText("#start-form .error", "cannot be reached");
    assertThat(browser.textOf("main")).contains("Version 1, 1 step.");
    browser.screenshot("start-run-answer-lost");
    browser.click("#start-run");

    browser.find("#run-status");
    JsonArray runs =
        server.get("/api/v1/runs?template=started-once", ADMIN_TOKEN).json().getJsonArray("items");
    assertThat(runs).as("the second click sent the same key: one run").hasSize(1);
    assertThat(browser.driver().getCurrentUrl())
        .endsWith("#/runs/" + runs.getJsonObject(0).getLong("id"));
  }

  @Test
  void relative_times_on_the_job_page_count_up_by_the_second_without_a_reload() {
    createTemplate(
        new JsonObject()
            .put("name", "tock")
            .put("steps", new JsonArray().add(command("t", "true"))));
    var job =
        new JsonObject()
            .put("name", "ticking")
            .put("template", "tock")
            .put("schedule", new JsonObject().put("everySeconds", 1))
            .put("concurrency", "allow");
    assertThat(server.post("/api/v1/jobs", ADMIN_TOKEN, job.encode()).status()).isEqualTo(201);
    Awaitility.await().atMost(Browser.WAIT).until(() -> !fires().isEmpty());
    // Paused, the job adds no fire: the cron log's newest row stays the same row.
    assertThat(server.post("/api/v1/jobs/ticking/pause", ADMIN_TOKEN, "{}").status())
        .isEqualTo(200);
    String firedAt = fires().getJsonObject(0).getString("firedAt");
    browser.signIn(operator);
    browser.open("#/jobs/ticking");
    // The Fired column's time: the Scheduled column holds a <time> too, with the same datetime
    // when the fire's lag was 0 ms (the first match would then be the exact, unmoving one).
    String css = "table.fires td:nth-child(2) time[datetime='" + firedAt + "']";
    browser.find(css);
    // Past "just now" (5 s), the fire's age must tick up by itself, every second.
    String before = browser.await(() -> textIf(css, t -> t.endsWith("s ago")), "a time in seconds");
    for (int i = 0; i < 2; i++) {
      String seen = before;
      before =
          Awaitility.await("the time to move on from '" + seen + "'")
              .atMost(Duration.ofMillis(2500))
              .pollInterval(Duration.ofMillis(100))
              .until(() -> browser.textOf(css), t -> t != null && !t.equals(seen));
    }
    // Off the job's page first: its reload every 5 s would otherwise ask for the deleted job (a
    // 404 in the browser's console, which the session's check counts as an error).
    browser.open("#/jobs");
    browser.find("table a[href='#/jobs/ticking']");
    assertThat(server.delete("/api/v1/jobs/ticking", ADMIN_TOKEN).status()).isEqualTo(204);
  }

  private JsonArray fires() {
    return server.get("/api/v1/jobs/ticking/fires", ADMIN_TOKEN).json().getJsonArray("items");
  }

  private String textIf(String css, java.util.function.Predicate<String> ok) {
    String text = browser.textOf(css);
    return text != null && ok.test(text) ? text : null;
  }

  @Test
  void at_phone_width_nothing_scrolls_sideways_and_the_search_counter_counts_from_one() {
    long id =
        finishedRun(
            "wide-steps",
            "FAILED",
            command("a-step-with-a-rather-long-name", "echo one; echo two; echo one"),
            command("second", "echo 'error: no such file' >&2; exit 3"));
    browser.signIn(operator);
    browser.open("#/runs/" + id);
    browser.waitForText(".log .line", "no such file");
    browser.find(".log-tools input[type=search]").sendKeys("one");
    browser.waitForText(".hits", "1 of 2");
    browser.find(".line.marked");
    browser.click("[aria-label='next match']");
    browser.waitForText(".hits", "2 of 2");

    browser.width(390);
    browser.await(
        () -> (Boolean) browser.script("return document.documentElement.clientWidth <= 400"),
        "a phone-wide window");
    Map<?, ?> widths =
        (Map<?, ?>)
            browser.script(
                "const w = (css) => { const e = document.querySelector(css);"
                    + " return e.scrollWidth - e.clientWidth; };"
                    + " return {page: document.documentElement.scrollWidth"
                    + " - document.documentElement.clientWidth, nav: w('.top nav'),"
                    + " header: w('.top'), steps: w('table.steps')};");
    browser.screenshot("20-run-phone");
    assertThat(widths.values())
        .as("sideways overflow in px: " + widths)
        .allMatch(v -> ((Long) v) <= 0);
    browser.open("#/runs");
    browser.waitForText("table.runs", "#" + id);
    assertThat(browser.script(SIDEWAYS, "table.runs")).as("runs list overflow").isEqualTo(0L);
    browser.screenshot("21-runs-phone");
    // The start form with a template of a long name, and the approvals inbox (an approver's
    // page on a phone): no sideways scrolling either.
    createTemplate(
        new JsonObject()
            .put("name", "a-template-with-a-name-as-long-as-names-may-be-sixty-four-chars")
            .put("steps", new JsonArray().add(command("x", "true"))));
    browser.open("#/start");
    browser.find("#start-template");
    assertThat(browser.script(SIDEWAYS, "#start-template")).as("start form overflow").isEqualTo(0L);
    createTemplate(
        new JsonObject()
            .put("name", "phone-gate")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        approval("sign-off", "role:admin")
                            .put(
                                "message",
                                "Please check the release notes and the dashboards of every"
                                    + " region before you approve this rollout"))));
    long gated = startRun("phone-gate", new JsonObject());
    browser.open("#/approvals?status=pending");
    browser.waitForText("table.approvals", "#" + gated);
    assertThat(browser.script(SIDEWAYS, "main")).as("approvals overflow").isEqualTo(0L);
    browser.screenshot("33-approvals-phone");
    browser.width(1280);
    assertThat(server.post("/api/v1/runs/" + gated + "/cancel", ADMIN_TOKEN, "{}").status())
        .isEqualTo(200);
  }

  @Test
  void the_audit_trail_shows_details_as_key_value_text_and_the_api_reference_is_linked() {
    browser.signIn(ADMIN_TOKEN);
    createTemplate(
        new JsonObject()
            .put("name", "audited")
            .put("description", "<b>not bold</b>")
            .put("steps", new JsonArray().add(command("x", "true"))));
    browser.open("#/admin/audit?target=audited");
    var cell = browser.waitForText("table.audit td.detail", "version: 1");
    assertThat(cell.getText()).doesNotContain("{", "\"");
    assertThat(browser.all("table.audit td.detail b")).isEmpty();
    browser.screenshot("22-audit-readable");
    // Older records are a page away, however many there are (it showed the newest 500 at most).
    for (int version = 2; version <= 3; version++) {
      var put =
          server.put(
              "/api/v1/templates/audited",
              ADMIN_TOKEN,
              new JsonObject()
                  .put("description", "version " + version)
                  .put("steps", new JsonArray().add(command("x", "true")))
                  .encode());
      assertThat(put.status()).as(put.toString()).isEqualTo(200);
    }
    browser.open("#/admin/audit?target=audited&limit=2");
    browser.waitForText("table.audit td.detail", "version: 3");
    assertThat(browser.all("table.audit tbody tr")).hasSize(2);
    browser.all(".pager button").stream()
        .filter(b -> b.getText().startsWith("Older"))
        .findFirst()
        .orElseThrow()
        .click();
    browser.waitForText("table.audit td.detail", "version: 1");
    assertThat(browser.all("table.audit tbody tr")).hasSize(1);
    browser.screenshot("36-audit-older-page");

    var link = browser.find("#api-reference");
    assertThat(link.getAttribute("href")).endsWith("/api/reference/");
    assertThat(server.get("/api/reference/", null).status()).isEqualTo(200);
  }

  @Test
  void a_step_log_downloads_from_logs_txt_with_the_bearer_header_and_no_token_in_any_url() {
    long id =
        finishedRun(
            "to-download",
            "SUCCEEDED",
            command("first", "echo alpha; echo beta"),
            command("second", "echo gamma"));
    browser.signIn(operator);
    browser.open("#/runs/" + id + "?step=first");
    browser.waitForText(".log .line", "beta");
    browser.script(
        "window.__blobs = []; const make = URL.createObjectURL;"
            + " URL.createObjectURL = (b) => { window.__blobs.push(b); return make(b); };");
    browser.click("#download-log");
    browser.await(() -> (Long) browser.script("return window.__blobs.length") > 0, "a download");
    String text =
        (String)
            browser
                .driver()
                .executeAsyncScript(
                    "const done = arguments[arguments.length - 1];"
                        + " window.__blobs[0].text().then(done);");
    assertThat(text)
        .contains("first#1 stdout| alpha", "first#1 stdout| beta")
        .doesNotContain("gamma");
    @SuppressWarnings("unchecked")
    List<String> urls =
        (List<String>)
            browser.script("return performance.getEntriesByType('resource').map((e) => e.name);");
    assertThat(urls).anyMatch(u -> u.endsWith("/api/v1/runs/" + id + "/logs.txt?step=first"));
    assertThat(urls).noneMatch(u -> u.contains(operator));
  }

  @Test
  void the_diff_between_two_template_versions_shows_what_was_added_and_removed() {
    JsonObject template =
        new JsonObject()
            .put("name", "versioned")
            .put("steps", new JsonArray().add(command("greet", "echo hello")));
    createTemplate(template);
    template.getJsonArray("steps").getJsonObject(0).put("command", "echo bonjour");
    template.getJsonArray("steps").add(command("wave", "echo bye"));
    assertThat(server.put("/api/v1/templates/versioned", ADMIN_TOKEN, template.encode()).status())
        .isEqualTo(200);
    browser.signIn(operator);
    browser.open("#/templates/versioned");
    browser.find("#template-diff option[value='1']");
    browser.script(
        "const s = document.querySelector('#template-diff'); s.value = '1';"
            + " s.dispatchEvent(new Event('change', {bubbles: true}));");
    browser.waitForText("h2", "Changes from version 1 to 2");
    assertThat(browser.driver().getCurrentUrl()).contains("diff=1");
    List<String> added = texts("pre.diff .add");
    List<String> removed = texts("pre.diff .del");
    assertThat(removed).anyMatch(l -> l.contains("echo hello"));
    assertThat(added).anyMatch(l -> l.contains("echo bonjour")).anyMatch(l -> l.contains("wave"));
    assertThat(added).noneMatch(l -> l.contains("echo hello"));
    browser.screenshot("23-template-diff");
  }

  @Test
  void a_template_version_this_node_cannot_read_is_listed_and_shown_with_its_problem() {
    createTemplate(
        new JsonObject()
            .put("name", "unreadable")
            .put("steps", new JsonArray().add(command("greet", "echo hello"))));
    EarlierBodies.store(
        server.nightshift().database().dsl(), "unreadable", EarlierBodies.nullSteps("unreadable"));
    browser.signIn(operator);
    browser.open("#/templates");
    browser.waitForText("table.list td", "not readable");
    assertThat(browser.textOf("table.list"))
        .contains("template 'unreadable' version 1 as stored is not valid: steps: is required");
    browser.screenshot("28-template-not-readable-list");
    browser.open("#/templates/unreadable");
    browser.waitForText("[role=alert]", "This version cannot be read");
    browser.screenshot("29-template-not-readable");
    assertThat(server.delete("/api/v1/templates/unreadable", ADMIN_TOKEN).status()).isEqualTo(204);
  }

  @Test
  void a_viewer_is_offered_no_page_that_changes_things_and_a_crafted_run_link_reads_nothing() {
    String viewer = server.token("console-viewer", "viewer");
    browser.signIn(viewer);
    browser.open("#/runs");
    browser.waitForText("h1", "Runs");
    assertThat(browser.all(".page-head .actions a")).as("no Start a run button").isEmpty();
    for (String page : List.of("#/start", "#/templates/new", "#/jobs/new", "#/admin/tokens")) {
      browser.open(page);
      browser.waitForText("#refused", "This page needs the");
    }
    assertThat(browser.textOf("#refused")).contains("console-viewer (viewer)");
    browser.screenshot("30-viewer-refused");
    assertThat(browser.all("#token-form")).isEmpty();

    // An id that is not a number is no page: it never becomes part of an API path.
    browser.open("#/runs/1%2F..%2F..%2Ftokens");
    browser.waitForText("h1", "Not found");
    browser.open("#/approvals/2%2F..%2F..%2Ftokens");
    browser.waitForText("h1", "Not found");
    Object asked =
        browser.script(
            "return performance.getEntriesByType('resource').map((e) => e.name)"
                + ".filter((u) => u.includes('/tokens'));");
    assertThat((List<?>) asked).isEmpty();
  }

  @Test
  void values_typed_for_one_template_are_not_sent_with_another_reached_by_back() {
    createTemplate(
        new JsonObject()
            .put("name", "with-color")
            .put("params", new JsonArray().add(new JsonObject().put("name", "color")))
            .put("steps", new JsonArray().add(command("say", "echo $color"))));
    createTemplate(
        new JsonObject()
            .put("name", "with-size")
            .put("params", new JsonArray().add(new JsonObject().put("name", "size")))
            .put("steps", new JsonArray().add(command("say", "echo $size"))));
    browser.signIn(operator);
    browser.open("#/start?template=with-size");
    browser.find("#param-size").sendKeys("XL");
    browser.open("#/start?template=with-color");
    browser.find("#param-color").sendKeys("red");
    browser.driver().navigate().back();
    browser.find("#param-size");
    browser.click("#dry-run");
    browser.waitForText("#plan h2", "Plan");
    assertThat(browser.all(".error")).isEmpty();
  }

  @Test
  void the_approver_who_started_the_run_is_offered_deny_but_not_approve() {
    String lead = server.token("console-lead", "operator", "approver", "qa");
    createTemplate(
        new JsonObject()
            .put("name", "gated-own")
            .put("steps", new JsonArray().add(approval("qa", "role:qa"))));
    var started =
        server.post("/api/v1/runs", lead, new JsonObject().put("template", "gated-own").encode());
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    long runId = started.json().getLong("id");
    long approval =
        Awaitility.await()
            .atMost(Browser.WAIT)
            .until(
                () -> server.get("/api/v1/approvals?run=" + runId, ADMIN_TOKEN).json(),
                list -> !list.getJsonArray("items").isEmpty())
            .getJsonArray("items")
            .getJsonObject(0)
            .getLong("id");
    browser.signIn(lead);
    browser.open("#/approvals/" + approval);
    browser.waitForText("#may-not-approve", "you may deny it but not approve it");
    assertThat(browser.all("#deny")).hasSize(1);
    assertThat(browser.all("#approve")).isEmpty();
    assertThat(browser.textOf("main")).contains("The run was started with no values.");
    browser.screenshot("31-approval-own-run");
    assertThat(server.post("/api/v1/runs/" + runId + "/cancel", ADMIN_TOKEN, "{}").status())
        .isEqualTo(200);
  }

  @Test
  void the_overview_reads_what_runs_again_without_a_reload() throws Exception {
    try (Gate gate = new Gate()) {
      overviewReadsAgain(gate);
    }
  }

  private void overviewReadsAgain(Gate gate) throws Exception {
    createTemplate(
        new JsonObject()
            .put("name", "until-told")
            .put("steps", new JsonArray().add(command("wait", gate.waiting()))));
    browser.signIn(operator);
    browser.open("#/");
    browser.waitForText("#running", "Running now");
    long id = startRun("until-told", new JsonObject());
    browser.waitForText("#running li", "#" + id);
    gate.open();
    Awaitility.await().atMost(Browser.WAIT).until(() -> runStatus(id).equals("SUCCEEDED"));
    browser.await(
        () -> browser.textOf("#running").contains("#" + id + " ") ? null : true,
        "run #" + id + " gone from Running now");
  }

  /** The graph of a run is its own version's, even once the template is gone (before: a chain). */
  @Test
  void a_run_of_a_deleted_template_shows_its_steps_side_by_side_as_they_ran() {
    createTemplate(
        new JsonObject()
            .put("name", "fan-out-gone")
            .put(
                "steps",
                new JsonArray()
                    .add(command("left", "true").put("needs", new JsonArray()))
                    .add(command("right", "true").put("needs", new JsonArray()))
                    .add(
                        command("join", "true")
                            .put("needs", new JsonArray().add("left").add("right")))));
    long id = startRun("fan-out-gone", new JsonObject());
    Awaitility.await().atMost(Browser.WAIT).until(() -> runStatus(id).equals("SUCCEEDED"));
    assertThat(run(id).getJsonArray("steps").getJsonObject(2).getJsonArray("needs"))
        .containsExactly("left", "right");
    assertThat(server.delete("/api/v1/templates/fan-out-gone", ADMIN_TOKEN).status())
        .isEqualTo(204);
    browser.signIn(operator);
    browser.open("#/runs/" + id);
    browser.find(".node[data-step='join']");
    String left = browser.find(".node[data-step='left']").getCssValue("left");
    assertThat(browser.find(".node[data-step='right']").getCssValue("left"))
        .as("left and right in one column")
        .isEqualTo(left);
    assertThat(browser.find(".node[data-step='join']").getCssValue("left")).isNotEqualTo(left);
  }

  /** Run now of a forbid job whose run is active asks whether to start one anyway, then does. */
  @Test
  void run_now_of_a_busy_forbid_job_asks_and_starts_one_anyway() throws Exception {
    try (Gate gate = new Gate()) {
      runNowAnyway(gate);
    }
  }

  private void runNowAnyway(Gate gate) throws Exception {
    createTemplate(
        new JsonObject()
            .put("name", "held")
            .put("steps", new JsonArray().add(command("wait", gate.waiting()))));
    assertThat(
            server
                .put("/api/v1/jobs/one-at-a-time", ADMIN_TOKEN, "{\"template\":\"held\"}")
                .status())
        .isEqualTo(201);
    long first =
        server.post("/api/v1/jobs/one-at-a-time/runs", operator, "{}").json().getLong("id");
    browser.signIn(operator);
    browser.open("#/jobs/one-at-a-time");
    browser.expectError("status of 409");
    browser.click("#run-now");
    org.openqa.selenium.Alert asked =
        Awaitility.await()
            .atMost(Browser.WAIT)
            .ignoreExceptions()
            .until(() -> browser.driver().switchTo().alert(), java.util.Objects::nonNull);
    assertThat(asked.getText()).contains("run " + first + " is still active").contains("anyway");
    asked.accept();
    browser.waitForText(".notice", "Started run #");
    assertThat(browser.textOf(".notice")).doesNotContain("#" + first + ".");

    // An action refused: its error opens below the row of actions, which keeps its layout.
    browser.open("#/templates/held");
    browser.waitForText(".page-head .actions", "Delete");
    int before = browser.find(".page-head .actions").getSize().getHeight();
    browser.all(".page-head .actions button").stream()
        .filter(b -> b.getText().equals("Delete"))
        .findFirst()
        .orElseThrow()
        .click();
    Awaitility.await()
        .atMost(Browser.WAIT)
        .ignoreExceptions()
        .until(() -> browser.driver().switchTo().alert(), java.util.Objects::nonNull)
        .accept();
    browser.waitForText(".action-wrap .error", "is used by job(s)");
    assertThat(browser.find(".page-head .actions").getSize().getHeight()).isEqualTo(before);
    browser.screenshot("32-action-error");
    gate.open();
    assertThat(server.delete("/api/v1/jobs/one-at-a-time", ADMIN_TOKEN).status()).isEqualTo(204);
  }

  private List<String> texts(String css) {
    return browser.all(css).stream().map(e -> e.getText()).toList();
  }

  @Test
  void a_job_whose_fire_failed_to_start_is_listed_with_the_failures_of_the_overview() {
    createTemplate(
        new JsonObject()
            .put("name", "nightly-backup")
            .put("steps", new JsonArray().add(command("dump", "true"))));
    var created =
        server.post(
            "/api/v1/jobs",
            ADMIN_TOKEN,
            new JsonObject()
                .put("name", "nightly-backup")
                .put("template", "nightly-backup")
                .put("schedule", new JsonObject().put("everySeconds", 1))
                .put("concurrency", "allow")
                .put(
                    "notify",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("url", "http://127.0.0.1:" + closedPort() + "/hook")
                                .put("events", new JsonArray().add("job.fire_failed"))))
                .encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    // The template now needs a value the job does not give: its fires fail to start.
    var changed =
        server.put(
            "/api/v1/templates/nightly-backup",
            ADMIN_TOKEN,
            new JsonObject()
                .put(
                    "params",
                    new JsonArray()
                        .add(new JsonObject().put("name", "target").put("required", true)))
                .put("steps", new JsonArray().add(command("dump", "echo $target")))
                .encode());
    assertThat(changed.status()).as(changed.toString()).isEqualTo(200);
    Awaitility.await()
        .atMost(Browser.WAIT)
        .until(
            () -> {
              JsonObject last =
                  server
                      .get("/api/v1/jobs/nightly-backup", ADMIN_TOKEN)
                      .json()
                      .getJsonObject("lastFire");
              return last != null && last.getString("outcome").equals("failed_to_start");
            });
    assertThat(server.post("/api/v1/jobs/nightly-backup/pause", ADMIN_TOKEN, null).status())
        .isEqualTo(200);
    browser.signIn(operator);
    browser.open("#/");
    WebElement failed = browser.waitForText("#failures li.fire-failed", "job nightly-backup");
    assertThat(failed.getText()).contains("failed to start").contains("target");
    browser.screenshot("34-overview-fire-failed");
    // The job's page lists the attempts to tell its webhook (here refused: nothing listens).
    browser.open("#/jobs/nightly-backup");
    WebElement attempt = browser.waitForText("table.deliveries tbody tr", "job.fire_failed");
    assertThat(attempt.getText()).contains("/hook").contains("connection refused or unreachable");
    browser.screenshot("35-job-webhook-deliveries");
    browser.open("#/jobs"); // off the job's page, whose reload would ask for the deleted job
    browser.find("table a[href='#/jobs/nightly-backup']");
    assertThat(server.delete("/api/v1/jobs/nightly-backup", ADMIN_TOKEN).status()).isEqualTo(204);
  }

  /** A port nothing listens on (a webhook sent there is refused). */
  private static int closedPort() {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void a_canceling_run_counts_as_running_on_the_overview_with_its_own_colour() {
    createTemplate(
        new JsonObject()
            .put("name", "stubborn")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        command(
                            "hold",
                            "trap '' TERM; echo holding; i=0;"
                                + " while [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done"))));
    long id = startRun("stubborn", new JsonObject());
    Awaitility.await().atMost(Browser.WAIT).until(() -> runStatus(id).equals("RUNNING"));
    browser.signIn(operator);
    assertThat(server.post("/api/v1/runs/" + id + "/cancel", operator, "{}").status())
        .isEqualTo(200);
    assertThat(runStatus(id)).isEqualTo("CANCELING");
    browser.open("#/runs");
    browser.open("#/");
    var badge =
        browser
            .waitForText("#running li", "#" + id)
            .findElement(org.openqa.selenium.By.cssSelector(".badge"));
    assertThat(badge.getText()).isEqualTo("canceling");
    assertThat(badge.getAttribute("class")).contains("cancel");
    assertThat(badge.getCssValue("color"))
        .isNotEqualTo(
            browser.script(
                "const b = document.createElement('span'); b.className = 'badge run';"
                    + " document.body.append(b); const c = getComputedStyle(b).color; b.remove();"
                    + " return c;"));
    browser.screenshot("24-overview-canceling");
  }
}
