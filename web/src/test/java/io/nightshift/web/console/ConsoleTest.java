package io.nightshift.web.console;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.TestSteps.command;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.nightshift.scheduler.TempFolders;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * The web console in a real headless Chromium against a real server: sign-in, templates, the start
 * form, live logs, cancel, the game-update denial with its rollback, jobs, roles, hostile text and
 * the Content-Security-Policy. After every test the browser's console must hold no error (a CSP
 * violation is one). Screenshots of each page land in {@code target/screenshots/}.
 */
class ConsoleTest extends ConsoleSession {
  static final String HOSTILE =
      "<img src=\"http://127.0.0.1:%d/pwned\" onerror=\"window.__pwned=1\"><script>window.__pwned=2</script><b>bold</b>";

  HttpServer trap;
  final AtomicInteger trapped = new AtomicInteger();
  Path dir;

  @BeforeAll
  void startTrap() throws IOException {
    trap = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    trap.createContext(
        "/",
        exchange -> {
          trapped.incrementAndGet();
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    trap.start();
    dir = TempFolders.create("nightshift-console-");
  }

  @AfterAll
  void stopTrap() {
    trap.stop(0);
    TempFolders.delete(dir);
  }

  String hostile() {
    return HOSTILE.formatted(trap.getAddress().getPort());
  }

  // ---- the tests

  @Test
  void the_page_carries_a_strict_content_security_policy_and_caches_vendored_files() {
    var page = server.get("/", null);
    assertThat(page.status()).isEqualTo(200);
    String policy = page.response().headers().firstValue("Content-Security-Policy").orElse("");
    assertThat(policy).contains("script-src 'self'").doesNotContain("unsafe-inline", "unsafe-eval");
    assertThat(page.body()).contains("type=\"module\"").doesNotContain("<script>");
    var vendor = server.get("/console/vendor/htm-preact-3.1.1.module.js", null);
    assertThat(vendor.status()).isEqualTo(200);
    assertThat(vendor.response().headers().firstValue("Cache-Control").orElse(""))
        .contains("max-age=31536000");
    assertThat(server.get("/console/app.js", null).response().headers().firstValue("Cache-Control"))
        .contains("no-cache");

    browser.freshTab();
    browser.find("#signin-form");
    browser.screenshot("01-sign-in");
    browser.find("#token").sendKeys("not-a-token");
    browser.click("#signin");
    browser.expectError("status of 401");
    browser.waitForText(".error", "not valid");
    assertThat(browser.script("return sessionStorage.getItem('nightshift.token')")).isNull();
  }

  @Test
  void an_operator_creates_a_template_starts_it_from_the_form_and_watches_its_lines_arrive_live()
      throws IOException {
    Path marker = dir.resolve("go-on");
    // Another node of the cluster, draining (as its lease renewal stores it).
    java.time.Instant now = java.time.Instant.now();
    new io.nightshift.scheduler.run.NodeLeaseRepository(server.nightshift().database().dsl())
        .renew(
            new io.nightshift.scheduler.run.NodeLeaseRepository.NodeLease(
                "other-instance", "other-node", "elsewhere", 1, null, now.plusSeconds(3600)),
            now,
            now);
    browser.signIn(operator);
    assertThat(browser.script("return sessionStorage.getItem('nightshift.token')"))
        .isEqualTo(operator);
    assertThat(browser.driver().getCurrentUrl()).doesNotContain(operator);
    browser.waitForText("#nodes", server.nightshift().config().node());
    browser.waitForText("#nodes", "(this node)");
    browser.waitForText("#nodes", "0 steps running");
    browser.waitForText("#nodes", "other-node");
    browser.waitForText("#nodes", "(draining)");
    browser.screenshot("02-overview");

    JsonObject template =
        new JsonObject()
            .put("name", "live-demo")
            .put("description", "greets, then waits for a marker file")
            .put(
                "params",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "who")
                            .put("required", true)
                            .put("pattern", "[a-z]+"))
                    .add(
                        new JsonObject()
                            .put("name", "color")
                            .put("default", "red")
                            .put("enum", new JsonArray().add("red").add("blue")))
                    .add(new JsonObject().put("name", "password").put("secret", true)))
            .put(
                "steps",
                new JsonArray()
                    .add(
                        command(
                            "hello",
                            "echo \"hello $who\"; printf '\\033[1;32mok\\033[0m coloured\\n';"
                                + " printf 'progress 10%%\\rprogress 100%%\\n';"
                                + " printf 'spin |\\b/\\bdone \\033(B\\033[mreset\\n'; echo first-line;"
                                + " while [ ! -f '"
                                + marker
                                + "' ]; do sleep 0.1; done; echo second-line"))
                    .add(command("after", "echo 'warning: all done' >&2")));

    browser.open("#/templates/new");
    JsonObject bad = template.copy();
    bad.getJsonArray("steps").getJsonObject(1).put("needs", new JsonArray().add("zz"));
    setText("#template-json", bad.encodePrettily());
    browser.expectError("status of 400");
    browser.click("#save-template");
    browser.waitForText(".error li", "steps[1].needs");
    assertThat(browser.textOf(".error").split("steps\\[1\\]\\.needs", -1))
        .as("the field's problem said once")
        .hasSize(2);
    browser.screenshot("03-template-field-error");

    setText("#template-json", template.encodePrettily());
    browser.click("#save-template");
    browser.waitForText("h1", "live-demo");
    browser.find(".node[data-step='after']");
    browser.screenshot("04-template");

    browser.open("#/start?template=live-demo");
    WebElement who = browser.find("#param-who");
    who.sendKeys("Anna1");
    browser.waitForText(".field-error", "must match [a-z]+");
    who.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
    who.sendKeys("anna");
    browser.await(() -> browser.all(".field-error").isEmpty(), "the pattern error to go");
    assertThat(browser.find("#param-password").getAttribute("type")).isEqualTo("password");
    browser.find("#param-password").sendKeys("hunter2");
    browser.click("#dry-run");
    WebElement plan = browser.find("#plan");
    assertThat(plan.getText()).contains("******", "anna", "red").doesNotContain("hunter2");
    browser.screenshot("05-start-dry-run");

    browser.click("#start-run");
    browser.waitForText(".log .line", "first-line");
    // A coloured line and a redrawn progress line read as a terminal shows them.
    assertThat(browser.waitForText(".log .line", "coloured").getText()).endsWith("ok coloured");
    assertThat(browser.waitForText(".log .line", "progress").getText())
        .endsWith("progress 100%")
        .doesNotContain("\u001b")
        .doesNotContain("10%");
    // A spinner's backspaces and tput sgr0's ESC ( B.
    assertThat(browser.waitForText(".log .line", "spin").getText()).endsWith("spin done reset");
    assertThat(browser.find("#run-status").getAttribute("data-status")).isEqualTo("RUNNING");
    browser.screenshot("06-run-live");
    Files.writeString(marker, "go");
    browser.waitForText(".log .line", "second-line");
    browser.await(
        () -> "SUCCEEDED".equals(browser.find("#run-status").getAttribute("data-status")),
        "the run to succeed on the page");
    browser.waitForText(".log .line.stderr", "warning: all done");

    browser.find(".log-tools input[type=search]").sendKeys("second");
    browser.waitForText(".hits", "of 1");
    browser.click("#jump-error");
    browser.find(".line.marked");
    browser.screenshot("07-run-succeeded");
    browser.waitForText(".empty", "No webhook was sent for this run");
    browser.width(390);
    browser.screenshot("08-run-phone");
    browser.width(1280);
  }

  @Test
  void an_operator_cancels_a_long_step_and_a_viewer_is_offered_no_cancel_button() {
    createTemplate(
        new JsonObject()
            .put("name", "long")
            .put(
                "steps", new JsonArray().add(command("sleepy", "echo going to sleep; sleep 600"))));
    long id = startRun("long", new JsonObject());
    Awaitility.await().atMost(Browser.WAIT).until(() -> runStatus(id).equals("RUNNING"));

    browser.signIn(server.token("vera", "viewer"));
    browser.open("#/runs/" + id);
    browser.waitForText(".log .line", "going to sleep");
    assertThat(browser.all("#cancel-run")).isEmpty();
    assertThat(browser.all("#retry-run")).isEmpty();
    assertThat(browser.find(".top nav").getText()).doesNotContain("Start a run", "Admin");
    browser.open("#/templates");
    browser.find("table.list");
    assertThat(browser.find(".page").getText()).doesNotContain("New template");
    browser.screenshot("09-viewer-templates");
    browser.signOut();

    browser.signIn(operator);
    browser.open("#/runs/" + id);
    browser.click("#cancel-run");
    browser.driver().switchTo().alert().accept();
    browser.await(
        () -> "CANCELED".equals(browser.find("#run-status").getAttribute("data-status")),
        "the run to show CANCELED");
    assertThat(runStatus(id)).isEqualTo("CANCELED");
    browser.find("#retry-run");
    browser.open("#/runs?status=CANCELED");
    browser.waitForText("table.runs", "#" + id);
    browser.screenshot("10-runs-list");
  }

  @Test
  void qa_denies_the_game_update_with_a_comment_and_the_run_page_shows_the_rollback_in_order() {
    String qa = server.token("qa-anna", "approver", "qa");
    JsonObject template =
        new JsonObject()
            .put("name", "game-update")
            .put("description", "patch and restart the game servers")
            .put(
                "params",
                new JsonArray().add(new JsonObject().put("name", "version").put("required", true)))
            .put("onFailure", "rollback")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        command("stop", "echo stopping; printf '%s\\n' \"$banner\"")
                            .put("undo", "echo starting again"))
                    .add(
                        command("backup", "echo backup")
                            .put("needs", new JsonArray().add("stop"))
                            .put("undo", "echo drop backup"))
                    .add(
                        command("upgrade", "echo upgrading to $version")
                            .put("needs", new JsonArray().add("backup"))
                            .put("undo", "echo downgrade"))
                    .add(
                        new JsonObject()
                            .put("name", "qa")
                            .put("kind", "approval")
                            .put("approvers", new JsonArray().add("role:qa"))
                            .put("message", "QA passed? " + hostile()))
                    .add(command("start", "echo start")));
    template.getJsonArray("params").add(new JsonObject().put("name", "banner").put("default", ""));
    createTemplate(template);
    long id =
        startRun("game-update", new JsonObject().put("version", "1.4.2").put("banner", hostile()));
    Awaitility.await().atMost(Browser.WAIT).until(() -> runStatus(id).equals("WAITING_APPROVAL"));

    browser.signIn(qa);
    assertThat(browser.find(".top nav").getText()).doesNotContain("Start a run");
    browser.waitForText(".card", "qa of run #" + id);
    browser.screenshot("11-overview-qa");
    browser.open("#/approvals");
    browser
        .waitForText("table.approvals", "#" + id)
        .findElement(org.openqa.selenium.By.cssSelector("a"))
        .click();
    browser.waitForText("#approval-message", "<script>window.__pwned=2</script>");
    browser.screenshot("12-approval");

    browser.expectError("status of 400");
    browser.click("#deny");
    browser.waitForText(".error", "comment");
    browser.find("#approval-comment").sendKeys("login broken " + hostile());
    browser.click("#deny");
    browser.waitForText("#decision", "Denied by qa-anna");
    assertThat(browser.find("#decision").getText()).contains("<b>bold</b>");
    browser.screenshot("13-denied");

    browser.open("#/runs/" + id);
    browser.await(
        () -> "ROLLED_BACK".equals(browser.find("#run-status").getAttribute("data-status")),
        "the run to show ROLLED_BACK");
    browser.await(() -> browser.all("ol.rollback li").size() == 3, "three undos listed");
    List<String> shown =
        browser.all("ol.rollback li").stream().map(e -> e.getAttribute("data-step")).toList();
    List<String> fromApi =
        run(id).getJsonArray("rollback").stream()
            .map(o -> ((JsonObject) o).getString("name"))
            .toList();
    assertThat(shown)
        .isEqualTo(fromApi)
        .containsExactly("undo:upgrade", "undo:backup", "undo:stop");
    browser.waitForText(".log .line", "<script>window.__pwned=2</script>");
    browser.screenshot("14-rolled-back");

    // Hostile text was shown as text: no element came from it, nothing ran, nothing was fetched.
    assertThat(browser.script("return window.__pwned === undefined")).isEqualTo(true);
    assertThat(
            browser.script(
                "return document.querySelectorAll('main img, main script, main b').length"))
        .isEqualTo(0L);
    browser.open("#/approvals?status=denied");
    browser.waitForText("table.approvals", "<b>bold</b>");
    assertThat(browser.script("return document.querySelectorAll('main img, main b').length"))
        .isEqualTo(0L);
    assertThat(trapped.get()).as("requests the hostile text made").isZero();
  }

  @Test
  void an_operator_creates_a_job_pauses_and_resumes_it_and_reads_its_cron_log() {
    createTemplate(
        new JsonObject()
            .put("name", "tick")
            .put("steps", new JsonArray().add(command("say", "echo tick"))));
    browser.signIn(operator);
    browser.open("#/jobs/new");
    setText(
        "#job-json",
        new JsonObject()
            .put("name", "every-second")
            .put("template", "tick")
            .put("schedule", new JsonObject().put("everySeconds", 1))
            .put("concurrency", "allow")
            .encodePrettily());
    browser.click("#save-job");
    browser.waitForText("#job-state", "active");
    browser.await(() -> browser.all("table.fires tbody tr").size() >= 1 ? true : null, "a fire");
    browser.screenshot("15-job");
    browser.click("#pause-job");
    browser.waitForText("#job-state", "paused");
    assertThat(server.get("/api/v1/jobs/every-second", ADMIN_TOKEN).json().getBoolean("enabled"))
        .isFalse();
    browser.click("#resume-job");
    browser.waitForText("#job-state", "active");
    // Edited and saved as loaded (a paused-by and paused-at of the answer included): saved.
    int revision =
        server.get("/api/v1/jobs/every-second", ADMIN_TOKEN).json().getInteger("revision");
    browser.open("#/jobs/every-second/edit");
    browser.waitForText("#job-form label", "Job as JSON");
    browser.click("#save-job");
    browser.waitForText("#job-state", "active");
    assertThat(browser.all("#job-form")).as("the editor is left").isEmpty();
    assertThat(server.get("/api/v1/jobs/every-second", ADMIN_TOKEN).json().getInteger("revision"))
        .isGreaterThan(revision);
    browser.open("#/jobs");
    browser.waitForText("table.list", "every 1 s");
    browser.screenshot("16-jobs");
    assertThat(server.delete("/api/v1/jobs/every-second", ADMIN_TOKEN).status()).isEqualTo(204);
  }

  @Test
  void an_admin_creates_a_token_whose_secret_is_shown_once_and_reads_the_audit_trail() {
    browser.signIn(ADMIN_TOKEN);
    browser.open("#/admin/tokens");
    browser.find("#token-name").sendKeys("ci-bot");
    WebElement roles = browser.find("#token-roles");
    roles.clear();
    roles.sendKeys("operator");
    browser.click("#token-form button[type=submit]");
    String secret = browser.find("#new-secret").getText();
    assertThat(server.get("/api/v1/me", secret).json().getString("name")).isEqualTo("ci-bot");
    browser.screenshot("17-tokens");
    browser.open("#/admin/audit");
    browser.waitForText("table.audit", "ci-bot");
    browser.screenshot("18-audit");
    browser.open("#/admin/tokens");
    browser.waitForText("table.list", "ci-bot");
    assertThat(browser.all("#new-secret")).isEmpty();
  }
}
