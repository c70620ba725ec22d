package io.nightshift.web.cli;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.TestSteps.command;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.RedisProcess;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The command-line client against a real server: what it prints and the exit status it gives. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CommandLineTest {
  private static final AtomicInteger names = new AtomicInteger();

  private final ContractObserver contract = new ContractObserver();
  TestServer server;
  RedisProcess redis;
  String operator;
  String approver;
  @TempDir Path home;

  abstract TestServer.Store store();

  /** What one command printed and its exit status. */
  record Result(int status, String out, String err) {
    JsonObject json() {
      return new JsonObject(out);
    }

    JsonArray jsonArray() {
      return new JsonArray(out);
    }
  }

  @BeforeAll
  void start() {
    Api.observer = contract;
    if (store() == TestServer.Store.MYSQL) {
      redis = RedisProcess.start();
      server = TestServer.start(TestServer.Store.MYSQL, redis.url());
    } else {
      server = TestServer.start(TestServer.Store.H2);
    }
    operator = server.token("cli-operator", "operator");
    approver = server.token("cli-approver", "approver");
  }

  /** Every answer the CLI received in the test matched the OpenAPI document. */
  @AfterEach
  void answersMatchTheDocument() {
    assertThat(contract.takeViolations()).as("CLI answers that drift from the document").isEmpty();
  }

  @AfterAll
  void stop() {
    Api.observer = null;
    server.close();
    if (redis != null) {
      redis.close();
    }
  }

  Result cli(String token, String... args) {
    return cli(env(home, server.port(), token), args);
  }

  /** The CLI's environment: {@code home}, a node on local {@code port}, {@code token} (or none). */
  static Map<String, String> env(java.nio.file.Path home, int port, String token) {
    Map<String, String> env = new HashMap<>();
    env.put("HOME", home.toString());
    env.put("NIGHTSHIFT_URL", "http://127.0.0.1:" + port);
    if (token != null) {
      env.put("NIGHTSHIFT_TOKEN", token);
    }
    return env;
  }

  static Result cli(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status =
        Cli.execute(args, env, new PrintWriter(out, true), new PrintWriter(err, true), false);
    return new Result(status, out.toString(), err.toString());
  }

  /** Creates job {@code name} through the API. */
  void job(String name, JsonObject body) {
    Answer created = server.put("/api/v1/jobs/" + name, ADMIN_TOKEN, body.encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
  }

  /** Waits until {@code nightshift run-status} says the run is {@code status}. */
  void awaitRunStatus(long id, String status) {
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                cli(operator, "--json", "run-status", String.valueOf(id))
                    .json()
                    .getString("status")
                    .equals(status));
  }

  static String unique(String prefix) {
    return prefix + "-" + names.incrementAndGet();
  }

  void template(String name, JsonArray steps) {
    template(name, steps, new JsonArray());
  }

  void template(String name, JsonArray steps, JsonArray params) {
    Answer answer =
        server.put(
            "/api/v1/templates/" + name,
            ADMIN_TOKEN,
            new JsonObject().put("name", name).put("params", params).put("steps", steps).encode());
    assertThat(answer.status()).as(answer.toString()).isIn(200, 201);
  }

  @Test
  void run_follow_prints_the_log_and_exits_0_when_the_run_succeeds_and_1_when_it_fails() {
    String ok = unique("cli-ok");
    template(
        ok,
        new JsonArray().add(command("hello", "echo \"hello $who\"")),
        new JsonArray().add(new JsonObject().put("name", "who").put("default", "nobody")));
    String bad = unique("cli-bad");
    template(bad, new JsonArray().add(command("boom", "echo about to fail; exit 3")));

    // A value given twice, or without '=', is an error naming it (before: the last one won).
    Result twice = cli(operator, "run", ok, "-p", "who=a", "-p", "who=b");
    assertThat(twice.status()).isEqualTo(2);
    assertThat(twice.err()).contains("--param who is given twice ('a' and 'b')");
    assertThat(cli(operator, "run", ok, "-p", "who").err())
        .contains("--param 'who': write NAME=VALUE");
    assertThat(server.get("/api/v1/runs?template=" + ok, ADMIN_TOKEN).json().getJsonArray("items"))
        .as("nothing started")
        .isEmpty();

    Result succeeded = cli(operator, "run", ok, "-p", "who=world", "--follow");
    assertThat(succeeded.status()).as(succeeded.toString()).isEqualTo(0);
    assertThat(succeeded.out()).contains("hello | hello world").contains("SUCCEEDED");
    // The step's start above its output and its end below, whichever reached the stream first, and
    // also when the stream opened after the fast step had ended (seen in CI, 2026-12-05: the end
    // came first then, when the store did not have the step's line yet).
    String out = succeeded.out();
    assertThat(out.indexOf("-- step hello RUNNING")).as(out).isNotNegative();
    assertThat(out.indexOf("hello | hello world"))
        .as(out)
        .isGreaterThan(out.indexOf("-- step hello RUNNING"))
        .isLessThan(out.indexOf("-- step hello SUCCEEDED"));

    Result failed = cli(operator, "run", bad, "--follow");
    assertThat(failed.status()).as(failed.toString()).isEqualTo(1);
    assertThat(failed.out()).contains("boom | about to fail").contains("FAILED");
    long failedId = Long.parseLong(failed.out().replaceAll("(?s)^run (\\d+) .*", "$1"));
    Result followedLogs = cli(operator, "logs", String.valueOf(failedId), "--follow");
    assertThat(followedLogs.status()).as(followedLogs.toString()).isEqualTo(1);
    assertThat(followedLogs.out())
        .contains("boom | about to fail")
        .contains("run " + failedId + " FAILED");

    Result started = cli(operator, "--json", "run", ok, "-p", "who=x");
    assertThat(started.status()).isEqualTo(0);
    long id = started.json().getLong("id");
    awaitRunStatus(id, "SUCCEEDED");
    Result logs = cli(operator, "logs", String.valueOf(id));
    assertThat(logs.out()).contains("hello | hello x");
    Result runs = cli(operator, "runs", "--template", ok);
    assertThat(runs.out()).contains("ID").contains(String.valueOf(id)).contains("SUCCEEDED");
    // Bounded by creation time: since the run's creation it is there, until it not.
    String created = server.get("/api/v1/runs/" + id, ADMIN_TOKEN).json().getString("createdAt");
    assertThat(cli(operator, "runs", "--template", ok, "--since", created).out())
        .containsPattern("(?m)^" + id + " ");
    assertThat(cli(operator, "runs", "--template", ok, "--until", created).out())
        .doesNotContainPattern("(?m)^" + id + " ");
    Result badSince = cli(operator, "runs", "--since", "yesterday");
    assertThat(badSince.status()).isEqualTo(2);
    assertThat(badSince.err()).contains("since:");
  }

  @Test
  void run_status_shows_the_rollbacks_undos_after_the_steps() {
    String name = unique("cli-rollback");
    Answer stored =
        server.put(
            "/api/v1/templates/" + name,
            ADMIN_TOKEN,
            new JsonObject()
                .put("name", name)
                .put("onFailure", "rollback")
                .put(
                    "steps",
                    new JsonArray()
                        .add(command("prepare", "true").put("undo", "echo undoing; exit 4"))
                        .add(
                            command("deploy", "exit 3")
                                .put("needs", new JsonArray().add("prepare"))))
                .encode());
    assertThat(stored.status()).as(stored.toString()).isIn(200, 201);
    long id = cli(operator, "--json", "run", name).json().getLong("id");
    awaitRunStatus(id, "ROLLBACK_FAILED");

    Result status = cli(operator, "run-status", String.valueOf(id));
    assertThat(status.status()).isEqualTo(0);
    java.util.List<String> lines = status.out().lines().toList();
    assertThat(lines)
        .anySatisfy(l -> assertThat(l).startsWith("undo:prepare").contains("FAILED").contains("4"));
    assertThat(lines.stream().filter(l -> l.startsWith("deploy")).findFirst().orElseThrow())
        .contains("FAILED");
  }

  @Test
  void a_dry_run_starts_nothing_and_shows_the_steps() {
    String name = unique("cli-dry");
    template(name, new JsonArray().add(command("only", "true")));
    Result dry = cli(operator, "run", name, "--dry-run");
    assertThat(dry.status()).as(dry.toString()).isEqualTo(0);
    assertThat(dry.out()).contains("dry run").contains("only");
    assertThat(
            server.get("/api/v1/runs?template=" + name, ADMIN_TOKEN).json().getJsonArray("items"))
        .isEmpty();
  }

  @Test
  void approvals_are_listed_approved_and_denied_from_the_command_line() {
    String name = unique("cli-gate");
    template(
        name,
        new JsonArray()
            .add(
                new JsonObject()
                    .put("name", "gate")
                    .put("kind", "approval")
                    .put("approvers", new JsonArray().add("role:approver"))
                    .put("message", "go ahead?"))
            .add(command("after", "echo approved")));

    long first = startAndAwaitApproval(name);
    Result inbox = cli(approver, "approvals");
    assertThat(inbox.out()).contains("go ahead?");
    long approval = pendingApproval(first);
    Result shown = cli(approver, "approvals", "show", String.valueOf(approval));
    assertThat(shown.status()).as(shown.toString()).isEqualTo(0);
    assertThat(shown.out())
        .contains("approval " + approval + "  run " + first + " (" + name + " v1)  step gate")
        .containsPattern("message +go ahead\\?")
        .containsPattern("approvers +role:approver")
        .containsPattern("requesters +cli-operator, admin \\(asked for the run")
        .containsPattern("values +\\(none\\)")
        .contains("may decide: nightshift approve " + approval + " | nightshift deny " + approval);
    assertThat(cli(operator, "approvals", "show", String.valueOf(approval)).out())
        .as("the operator who started the run is no approver of it")
        .contains("may not decide it");
    Result approved = cli(approver, "approve", String.valueOf(approval), "-m", "looks fine");
    assertThat(approved.status()).as(approved.toString()).isEqualTo(0);
    assertThat(approved.out()).contains("APPROVED");
    awaitStatus(first, "SUCCEEDED");
    assertThat(cli(approver, "approvals", "show", String.valueOf(approval)).out())
        .containsPattern("decided +\\S+ by \\S+: looks fine")
        .doesNotContain("nightshift approve");
    Result again = cli(approver, "approve", String.valueOf(approval));
    assertThat(again.status()).isEqualTo(2);
    assertThat(again.err()).startsWith("nightshift: approval " + approval + " was already decided");

    long second = startAndAwaitApproval(name);
    long secondApproval = pendingApproval(second);
    Result noReason = cli(approver, "deny", String.valueOf(secondApproval));
    assertThat(noReason.status()).isEqualTo(2);
    assertThat(noReason.err()).contains("--message");
    Result denied = cli(approver, "deny", String.valueOf(secondApproval), "-m", "not tonight");
    assertThat(denied.status()).as(denied.toString()).isEqualTo(0);
    assertThat(denied.out()).contains("DENIED");
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> !runStatus(second).equals("WAITING_APPROVAL"));
    assertThat(runStatus(second)).isNotEqualTo("SUCCEEDED");
  }

  private long startAndAwaitApproval(String template) {
    Result started = cli(operator, "--json", "run", template);
    assertThat(started.status()).as(started.toString()).isEqualTo(0);
    long id = started.json().getLong("id");
    awaitStatus(id, "WAITING_APPROVAL");
    return id;
  }

  private long pendingApproval(long runId) {
    JsonArray items =
        server
            .get("/api/v1/approvals?status=pending&run=" + runId, ADMIN_TOKEN)
            .json()
            .getJsonArray("items");
    assertThat(items).hasSize(1);
    return items.getJsonObject(0).getLong("id");
  }

  private String runStatus(long id) {
    return server.get("/api/v1/runs/" + id, ADMIN_TOKEN).json().getString("status");
  }

  private void awaitStatus(long id, String status) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> runStatus(id).equals(status));
  }

  @Test
  void applying_a_folder_twice_changes_nothing_the_second_time() throws IOException {
    String t = unique("code-t");
    String j = unique("code-j");
    Path dir = home.resolve("ops");
    Files.createDirectories(dir.resolve("templates"));
    Files.createDirectories(dir.resolve("jobs"));
    Files.writeString(
        dir.resolve("templates").resolve(t + ".yaml"),
        "name: "
            + t
            + "\n"
            + "description: written by hand\n"
            + "params:\n"
            + "  - name: target\n"
            + "    default: eu\n"
            + "steps:\n"
            + "  - name: first\n"
            + "    kind: command\n"
            + "    command: echo \"$target\"\n"
            + "  - name: second\n"
            + "    kind: command\n"
            + "    command: 'true'\n"
            + "    timeoutSeconds: 60\n");
    Files.writeString(
        dir.resolve("jobs").resolve(j + ".json"),
        new JsonObject()
            .put("name", j)
            .put("template", t)
            .put("params", new JsonObject().put("target", "us"))
            .put("schedule", new JsonObject().put("everySeconds", 3600))
            .put("enabled", false)
            .encodePrettily());

    Result first = cli(operator, "apply", "-f", dir.toString());
    assertThat(first.status()).as(first.toString()).isEqualTo(0);
    assertThat(first.out()).contains(t).contains(j).contains("2 created");

    Result dry = cli(operator, "apply", "-f", dir.toString(), "--dry-run");
    assertThat(dry.out()).contains("2 unchanged").doesNotContain("would be");

    Result second = cli(operator, "--json", "apply", "-f", dir.toString());
    assertThat(second.status()).as(second.toString()).isEqualTo(0);
    assertThat(second.jsonArray().stream().map(o -> ((JsonObject) o).getString("action")))
        .containsOnly("unchanged");
    assertThat(server.get("/api/v1/templates/" + t, ADMIN_TOKEN).json().getInteger("version"))
        .isEqualTo(1);

    Files.writeString(
        dir.resolve("templates").resolve(t + ".yaml"),
        Files.readString(dir.resolve("templates").resolve(t + ".yaml"))
            .replace("timeoutSeconds: 60", "timeoutSeconds: 90"));
    Result dryChange = cli(operator, "apply", "-f", dir.toString(), "--dry-run");
    assertThat(dryChange.out()).contains("would be updated");
    assertThat(server.get("/api/v1/templates/" + t, ADMIN_TOKEN).json().getInteger("version"))
        .isEqualTo(1);
    Result third = cli(operator, "apply", "-f", dir.toString());
    assertThat(third.out()).contains("1 updated").contains("1 unchanged");
    assertThat(server.get("/api/v1/templates/" + t, ADMIN_TOKEN).json().getInteger("version"))
        .isEqualTo(2);
  }

  /** One file applies as a folder of one would; --prune refuses it (all else would be deleted). */
  @Test
  void one_file_is_applied_and_prune_asks_for_a_folder() throws IOException {
    String t = unique("one-file");
    Path file = Files.createDirectories(home.resolve("single")).resolve(t + ".yaml");
    Files.writeString(
        file, "name: " + t + "\nsteps:\n  - name: s\n    kind: command\n    command: 'true'\n");

    Result applied = cli(operator, "apply", "-f", file.toString());
    assertThat(applied.status()).as(applied.toString()).isEqualTo(0);
    assertThat(applied.out()).contains(t).contains("1 created");
    assertThat(cli(operator, "apply", "--file", file.toString()).out()).contains("1 unchanged");

    Result pruned = cli(operator, "apply", "-f", file.toString(), "--prune");
    assertThat(pruned.status()).isEqualTo(2);
    assertThat(pruned.err())
        .startsWith("nightshift: --prune needs a folder")
        .contains(file + " is not a folder");
    assertThat(server.get("/api/v1/templates", ADMIN_TOKEN).json().getJsonArray("items").size())
        .as("nothing deleted")
        .isGreaterThan(1);
    Result missing = cli(operator, "apply", "-f", home.resolve("nowhere").toString());
    assertThat(missing.status()).isEqualTo(2);
    assertThat(missing.err()).contains("nowhere: no such file or folder");
  }

  /**
   * A dry run is checked by the server as the apply would be: a folder it calls fine applies, and
   * one it refuses names every problem of every file (before: "would be created" for a job with a
   * bad schedule and an undeclared parameter, then the real apply stopped halfway at it).
   */
  @Test
  void a_dry_run_names_every_problem_the_apply_would_meet_and_stores_nothing() throws IOException {
    String t = unique("dry-t");
    String ok = unique("dry-ok");
    String bad = unique("dry-bad");
    String later = unique("dry-later");
    template(
        t,
        new JsonArray().add(command("a", "echo $target")),
        new JsonArray().add(new JsonObject().put("name", "target").put("default", "eu")));
    Path dir = home.resolve("dry-" + t);
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve(ok + ".yaml"),
        "name: " + ok + "\ntemplate: " + t + "\nschedule:\n  cron: \"30 2 * * *\"\n");
    Files.writeString(
        dir.resolve(bad + ".yaml"),
        "name: "
            + bad
            + "\ntemplate: "
            + t
            + "\nparams:\n  colour: red\nschedule:\n  cron: \"0 0 12 ? * MON-FRI/2\"\n");
    // A new template and its job: the job is checked by the real apply, after its template.
    Files.writeString(
        dir.resolve(later + "-t.yaml"),
        "name: " + later + "\nsteps:\n  - name: a\n    kind: command\n    command: 'true'\n");
    Files.writeString(
        dir.resolve(later + ".yaml"), "name: " + later + "-job\ntemplate: " + later + "\n");

    Result dry = cli(operator, "apply", "-f", dir.toString(), "--dry-run");

    assertThat(dry.status()).as(dry.toString()).isEqualTo(2);
    assertThat(dry.err())
        .contains(bad + ".yaml: ")
        .contains("schedule.cron: day-of-week 'MON-FRI/2'")
        .contains("params.colour");
    assertThat(dry.out())
        .contains(ok)
        .contains("would be created")
        .contains("refused")
        .contains("checked once its template is applied");
    for (String job : List.of(ok, bad, later + "-job")) {
      assertThat(server.get("/api/v1/jobs/" + job, ADMIN_TOKEN).status()).isEqualTo(404);
    }
    assertThat(server.get("/api/v1/templates/" + later, ADMIN_TOKEN).status()).isEqualTo(404);

    // A token that may not change anything gets the plan, each change said to be unchecked.
    Result asApprover = cli(approver, "apply", "-f", dir.toString(), "--dry-run");
    assertThat(asApprover.status()).as(asApprover.toString()).isEqualTo(0);
    assertThat(asApprover.out()).contains("not checked: needs the operator role");

    Files.delete(dir.resolve(bad + ".yaml"));
    Result fine = cli(operator, "apply", "-f", dir.toString(), "--dry-run");
    assertThat(fine.status()).as(fine.toString()).isEqualTo(0);
    assertThat(fine.out()).contains("dry run, nothing changed: 3 would be created");

    // Applied, then applied again: a cron without a timezone (UTC on the server) is unchanged
    // (it was "updated", a new revision, at every apply).
    assertThat(cli(operator, "apply", "-f", dir.toString()).out()).contains("3 created");
    Result again = cli(operator, "apply", "-f", dir.toString());
    assertThat(again.out()).as(again.toString()).contains("3 unchanged");
  }

  /**
   * A field removed from a job's file is removed on the server (the API keeps what a PUT leaves
   * out: before, the job kept firing on its old schedule while apply said "updated"), and a crontab
   * line applied twice is unchanged the second time (before: "updated" at every apply).
   */
  @Test
  void a_line_removed_from_a_job_file_is_removed_and_a_crontab_line_stays_unchanged()
      throws IOException {
    String t = unique("lines-t");
    String j = unique("lines-j");
    template(
        t,
        new JsonArray().add(command("a", "echo $target")),
        new JsonArray().add(new JsonObject().put("name", "target").put("default", "eu")));
    Path dir = home.resolve("lines-" + j);
    Files.createDirectories(dir);
    Path file = dir.resolve(j + ".yaml");
    Files.writeString(
        file,
        "name: "
            + j
            + "\ntemplate: "
            + t
            + "\nparams:\n  target: us\nconcurrency: queue\n"
            + "schedule:\n  cron: \"30 2 * * *\"\n  timezone: Europe/Berlin\n");
    assertThat(cli(operator, "apply", "-f", dir.toString()).out()).contains("1 created");
    Result again = cli(operator, "apply", "-f", dir.toString());
    assertThat(again.out()).as(again.toString()).contains("1 unchanged");

    Files.writeString(file, "name: " + j + "\ntemplate: " + t + "\n");
    Result removed = cli(operator, "apply", "-f", dir.toString());
    assertThat(removed.out()).as(removed.toString()).contains("1 updated");
    JsonObject job = server.get("/api/v1/jobs/" + j, ADMIN_TOKEN).json();
    assertThat(job.getValue("schedule")).as(job.encodePrettily()).isNull();
    assertThat(job.getJsonObject("params")).isEmpty();
    assertThat(job.getString("concurrency")).isEqualTo("forbid");
    assertThat(cli(operator, "apply", "-f", dir.toString()).out()).contains("1 unchanged");
  }

  @Test
  void what_export_writes_apply_takes_back_without_a_change() throws IOException {
    String t = unique("round-t");
    template(
        t,
        new JsonArray()
            .add(command("a", "echo a"))
            .add(
                command("b", "echo b")
                    .put("needs", new JsonArray())
                    .put("retries", 2)
                    .put("undo", "echo undo")));
    Answer job =
        server.put(
            "/api/v1/jobs/" + unique("round-j"),
            ADMIN_TOKEN,
            new JsonObject()
                .put("template", t)
                .put(
                    "schedule",
                    new JsonObject().put("cron", "0 30 3 * * ?").put("timezone", "Asia/Shanghai"))
                .put("concurrency", "queue")
                .encode());
    assertThat(job.status()).as(job.toString()).isEqualTo(201);
    Path dir = home.resolve("export-" + t);

    Result exported = cli(operator, "export", dir.toString());
    assertThat(exported.status()).as(exported.toString()).isEqualTo(0);
    assertThat(dir.resolve("templates").resolve(t + ".yaml")).exists();
    Result applied = cli(operator, "--json", "apply", "-f", dir.toString());
    assertThat(applied.status()).as(applied.toString()).isEqualTo(0);
    assertThat(applied.jsonArray()).isNotEmpty();
    assertThat(applied.jsonArray().stream().map(o -> ((JsonObject) o).getString("action")))
        .containsOnly("unchanged");
  }

  /** Before, every empty list was one anchor: apply refused a file of over 50 aliases. */
  @Test
  void an_export_writes_no_yaml_aliases_so_60_parallel_steps_apply_back() throws IOException {
    String t = unique("wide-t");
    JsonArray steps = new JsonArray();
    for (int i = 0; i < 60; i++) {
      steps.add(command("s" + i, "true").put("needs", new JsonArray()));
    }
    template(t, steps);
    Path dir = home.resolve("export-" + t);

    Result exported = cli(operator, "export", dir.toString());

    assertThat(exported.status()).as(exported.toString()).isEqualTo(0);
    String file = Files.readString(dir.resolve("templates").resolve(t + ".yaml"));
    assertThat(file).doesNotContain("&id").doesNotContain("*id").contains("needs: []");
    assertThat(cli(operator, "templates", "show", t).out()).doesNotContain("&id");
    Result applied = cli(operator, "--json", "apply", "-f", dir.toString());
    assertThat(applied.status()).as(applied.toString()).isEqualTo(0);
    assertThat(applied.jsonArray().stream().map(o -> ((JsonObject) o).getString("action")))
        .containsOnly("unchanged");
  }

  /**
   * A template version this node cannot read (stored by an earlier version): listed as such, left
   * out of an export with exit 2 (an empty definition would replace it at the next apply), and
   * replaced by an apply of a corrected file.
   */
  @Test
  void a_template_this_node_cannot_read_is_named_by_templates_and_export_and_apply_replaces_it()
      throws IOException {
    String t = unique("unreadable");
    template(t, new JsonArray().add(command("a", "echo a")));
    io.nightshift.scheduler.template.EarlierBodies.store(
        server.nightshift().database().dsl(),
        t,
        io.nightshift.scheduler.template.EarlierBodies.nullSteps(t));

    Result listed = cli(operator, "templates");
    assertThat(listed.status()).as(listed.toString()).isEqualTo(0);
    assertThat(listed.out().lines().filter(l -> l.startsWith(t + " ")))
        .singleElement()
        .asString()
        .contains("NOT READABLE: template '" + t + "' version 1 as stored is not valid");
    Path dir = home.resolve("export-" + t);
    Result exported = cli(operator, "export", dir.toString());
    assertThat(exported.status()).as(exported.toString()).isEqualTo(2);
    assertThat(exported.err()).contains("template '" + t + "' not exported");
    assertThat(dir.resolve("templates").resolve(t + ".yaml")).doesNotExist();

    Files.writeString(
        dir.resolve("templates").resolve(t + ".yaml"),
        "name: " + t + "\nsteps:\n  - name: a\n    kind: command\n    command: echo fixed\n");
    Result applied = cli(operator, "apply", "-f", dir.toString());
    assertThat(applied.status()).as(applied.toString()).isEqualTo(0);
    Answer fixed = server.get("/api/v1/templates/" + t, ADMIN_TOKEN);
    assertThat(fixed.json().containsKey("problem")).as(fixed.toString()).isFalse();
    assertThat(fixed.json().getInteger("version")).isEqualTo(2);
  }

  /** An apply the server stops halfway says what it changed before the error (before: nothing). */
  @Test
  void an_apply_stopped_by_the_server_halfway_says_what_it_had_changed() throws IOException {
    String t = unique("half-t");
    Path dir = home.resolve("half-" + t);
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("t.yaml"),
        "name: "
            + t
            + "\nparams:\n  - name: who\n    required: true\nsteps:\n"
            + "  - name: s\n    kind: command\n    command: echo $who\n");
    Files.writeString(
        dir.resolve("a.yaml"), "name: " + t + "-a\ntemplate: " + t + "\nparams:\n  who: me\n");
    Files.writeString(dir.resolve("b.yaml"), "name: " + t + "-b\ntemplate: " + t + "\n");
    Result result = cli(operator, "apply", "-f", dir.toString());
    assertThat(result.status()).as(result.toString()).isEqualTo(2);
    assertThat(result.err()).contains("b.yaml").contains("params.who: is required");
    assertThat(result.out())
        .as(result.toString())
        .contains(t + " ")
        .contains(t + "-a")
        .contains("2 created");
  }

  /**
   * --prune on a node of its own: a job with an active run is kept and so is its template (before,
   * deleting the template failed with 409 and stopped the prune halfway, saying nothing of what it
   * had deleted); what nothing uses is deleted.
   */
  @Test
  void prune_keeps_a_job_with_an_active_run_and_its_template_and_deletes_the_rest()
      throws Exception {
    try (TestServer own = TestServer.start(TestServer.Store.H2)) {
      for (String t : List.of("keep-t", "gone-t")) {
        assertThat(
                own.post(
                        "/api/v1/templates",
                        ADMIN_TOKEN,
                        new JsonObject()
                            .put("name", t)
                            .put("steps", new JsonArray().add(command("s", "sleep 30")))
                            .encode())
                    .status())
            .isEqualTo(201);
      }
      assertThat(own.put("/api/v1/jobs/keep-j", ADMIN_TOKEN, "{\"template\":\"keep-t\"}").status())
          .isEqualTo(201);
      Answer run = own.post("/api/v1/jobs/keep-j/runs", ADMIN_TOKEN, "{}");
      assertThat(run.status()).as(run.toString()).isEqualTo(202);
      Path empty = Files.createDirectories(home.resolve("prune-empty"));

      Result pruned =
          cli(
              env(home, own.port(), ADMIN_TOKEN),
              "--json",
              "apply",
              "-f",
              empty.toString(),
              "--prune");

      assertThat(pruned.status()).as(pruned.toString()).isEqualTo(2);
      Map<String, String> actions = new HashMap<>();
      pruned
          .jsonArray()
          .forEach(
              o ->
                  actions.put(
                      ((JsonObject) o).getString("name"), ((JsonObject) o).getString("action")));
      assertThat(actions)
          .containsEntry("keep-j", "kept")
          .containsEntry("keep-t", "kept")
          .containsEntry("gone-t", "deleted");
      assertThat(own.get("/api/v1/templates/keep-t", ADMIN_TOKEN).status()).isEqualTo(200);
      assertThat(own.get("/api/v1/templates/gone-t", ADMIN_TOKEN).status()).isEqualTo(404);
      own.post("/api/v1/runs/" + run.json().getLong("id") + "/cancel", ADMIN_TOKEN, "{}");
    }
  }

  @Test
  void a_bad_file_is_refused_with_its_field_path_and_exit_2() throws IOException {
    Path dir = home.resolve("bad-" + unique("d"));
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("broken.yaml"),
        "name: " + unique("broken") + "\nsteps:\n  - name: s\n    kind: command\n");
    Result result = cli(operator, "apply", "-f", dir.toString());
    assertThat(result.status()).isEqualTo(2);
    assertThat(result.err()).contains("broken.yaml").contains("steps[0].command");
    assertThat(result.err().lines()).hasSize(1);

    Files.writeString(dir.resolve("broken.yaml"), "name: x\nsteps: [\n");
    Result yaml = cli(operator, "apply", "-f", dir.toString());
    assertThat(yaml.status()).isEqualTo(2);
    assertThat(yaml.err()).contains("broken.yaml").contains("not valid YAML");
  }

  @Test
  void a_wrong_token_exits_2_with_the_api_message_on_one_line() {
    Answer direct = server.get("/api/v1/runs", "wrong-token");
    Result result = cli("wrong-token", "runs");
    assertThat(result.status()).isEqualTo(2);
    assertThat(result.err()).isEqualTo("nightshift: " + direct.errorMessage() + "\n");
    assertThat(result.out()).isEmpty();
  }

  @Test
  void a_profile_readable_by_others_is_refused_and_a_private_one_is_used() throws IOException {
    Path profile = home.resolve("profile");
    Files.writeString(
        profile, "url=http://127.0.0.1:" + server.port() + "\ntoken=" + operator + "\n");
    Files.setPosixFilePermissions(profile, PosixFilePermissions.fromString("rw-r--r--"));
    Map<String, String> env =
        Map.of("HOME", home.toString(), "NIGHTSHIFT_PROFILE", profile.toString());
    Result open = cli(env, "runs");
    assertThat(open.status()).isEqualTo(2);
    assertThat(open.err()).contains("chmod 600");

    Files.setPosixFilePermissions(profile, PosixFilePermissions.fromString("rw-------"));
    Result ok = cli(env, "runs");
    assertThat(ok.status()).as(ok.toString()).isEqualTo(0);
  }

  @Test
  void a_profile_named_but_missing_or_with_an_unknown_key_is_refused_naming_it()
      throws IOException {
    Path missing = home.resolve("no-such-profile");
    Result none =
        cli(Map.of("HOME", home.toString(), "NIGHTSHIFT_PROFILE", missing.toString()), "runs");
    assertThat(none.status()).isEqualTo(2);
    assertThat(none.err())
        .isEqualTo("nightshift: profile " + missing + " (NIGHTSHIFT_PROFILE) does not exist\n");
    Map<String, String> given = new HashMap<>(env(home, server.port(), operator));
    given.put("NIGHTSHIFT_PROFILE", missing.toString());
    assertThat(cli(given, "runs").status())
        .as("a URL and a token given: the profile is not needed")
        .isZero();

    Path typo = home.resolve("typo-profile");
    Files.writeString(typo, "url=http://127.0.0.1:" + server.port() + "\ntokn=" + operator + "\n");
    Files.setPosixFilePermissions(typo, PosixFilePermissions.fromString("rw-------"));
    Result unknown =
        cli(Map.of("HOME", home.toString(), "NIGHTSHIFT_PROFILE", typo.toString()), "runs");
    assertThat(unknown.status()).isEqualTo(2);
    assertThat(unknown.err())
        .contains("profile " + typo + ": unknown key 'tokn' (a profile has url= and token=)");
  }

  @Test
  void a_bad_server_url_is_one_line_naming_where_it_came_from() {
    Result noScheme = cli(operator, "--url", "notaurl", "runs");
    assertThat(noScheme.status()).isEqualTo(2);
    assertThat(noScheme.err())
        .isEqualTo(
            "nightshift: bad server URL 'notaurl' (--url): it must start with http:// or"
                + " https://\n");
    Map<String, String> ftp = new HashMap<>(env(home, server.port(), operator));
    ftp.put("NIGHTSHIFT_URL", "ftp://host/");
    assertThat(cli(ftp, "runs").err())
        .isEqualTo(
            "nightshift: bad server URL 'ftp://host/' (NIGHTSHIFT_URL): it must start with"
                + " http:// or https://\n");
    assertThat(cli(operator, "--url", "http://[::1", "runs").err())
        .startsWith("nightshift: bad server URL 'http://[::1' (--url): ")
        .doesNotContain("Exception");
  }

  @Test
  void a_401_without_a_token_says_how_to_give_one() {
    Result refused = cli((String) null, "runs");

    assertThat(refused.status()).isEqualTo(2);
    assertThat(refused.err())
        .startsWith("nightshift: missing bearer token")
        .contains(
            "no token was given: pass --token, set NIGHTSHIFT_TOKEN or put token= in the profile");
    assertThat(cli("wrong-token-0123456789", "runs").err()).doesNotContain("no token was given");
  }

  @Test
  void jobs_are_listed_paused_resumed_and_run_now() {
    String t = unique("job-t");
    template(t, new JsonArray().add(command("x", "echo from-job")));
    String j = unique("job-j");
    job(
        j,
        new JsonObject()
            .put("template", t)
            .put("schedule", new JsonObject().put("everySeconds", 3600)));
    assertThat(cli(operator, "jobs").out()).contains(j).contains("every 3600s");
    assertThat(cli(operator, "jobs", "pause", j).out()).contains("PAUSED");
    assertThat(server.get("/api/v1/jobs/" + j, ADMIN_TOKEN).json().getBoolean("enabled")).isFalse();
    assertThat(cli(operator, "jobs", "resume", j).out()).contains("enabled");
    Result run = cli(operator, "jobs", "run", j, "--follow");
    assertThat(run.status()).as(run.toString()).isEqualTo(0);
    assertThat(run.out()).contains("x | from-job");
  }

  /** The last fire and the cron log in the zone of the job's cron, as its next fires are. */
  @Test
  void a_cron_jobs_fires_are_shown_in_its_zone() {
    String t = unique("zone-t");
    template(t, new JsonArray().add(command("x", "true")));
    String j = unique("zone-j");
    job(
        j,
        new JsonObject()
            .put("template", t)
            .put(
                "schedule",
                new JsonObject().put("cron", "* * * * * ?").put("timezone", "Asia/Shanghai"))
            .put("concurrency", "allow"));
    Awaitility.await()
        .atMost(30, java.util.concurrent.TimeUnit.SECONDS)
        .until(() -> lastFire(j) != null);
    assertThat(cli(operator, "jobs", "pause", j).status()).isZero();

    assertThat(cli(operator, "jobs").out().lines().filter(l -> l.startsWith(j + " ")))
        .singleElement()
        .asString()
        .containsPattern("T[0-9:.]+\\+08:00 run [0-9]+ ");
    List<String> log = cli(operator, "jobs", "show", j, "--fires", "1").out().lines().toList();
    int header =
        log.indexOf(log.stream().filter(l -> l.startsWith("SCHEDULED")).findFirst().orElseThrow());
    assertThat(log.get(header + 1)).containsPattern("^\\S+T[0-9:.]+\\+08:00 ");
  }

  /**
   * The job list says what became of each job's latest fire: a job whose fires fail to start (its
   * template now needs a value the job does not give) stands out in `nightshift jobs` and in the
   * API's lastFire.
   */
  @Test
  void jobs_show_their_last_fire_and_one_that_failed_to_start_stands_out() {
    String t = unique("last-t");
    template(t, new JsonArray().add(command("x", "true")));
    String j = unique("last-j");
    job(
        j,
        new JsonObject()
            .put("template", t)
            .put("schedule", new JsonObject().put("everySeconds", 1))
            .put("concurrency", "allow"));
    Awaitility.await()
        .atMost(30, java.util.concurrent.TimeUnit.SECONDS)
        .until(() -> lastFire(j) != null);
    assertThat(lastFire(j).getString("outcome")).isEqualTo("started");
    // A fire a second: the one listed may be a later one than the one read above.
    assertThat(cli(operator, "jobs").out().lines().filter(l -> l.startsWith(j + " ")))
        .singleElement()
        .asString()
        .containsPattern("Z run [0-9]+ ");

    template(
        t,
        new JsonArray().add(command("x", "echo $target")),
        new JsonArray().add(new JsonObject().put("name", "target").put("required", true)));
    Awaitility.await()
        .atMost(30, java.util.concurrent.TimeUnit.SECONDS)
        .until(() -> "failed_to_start".equals(lastFire(j).getString("outcome")));
    assertThat(cli(operator, "jobs", "pause", j).status()).isZero();
    assertThat(lastFire(j).getString("reason")).contains("target");
    Result listed = cli(operator, "jobs");
    assertThat(listed.out().lines().filter(l -> l.startsWith(j + " ")))
        .singleElement()
        .asString()
        .contains("FAILED to start");
    // Its page: state, schedule, the cron log newest first with why a fire started nothing.
    Result shown = cli(operator, "jobs", "show", j, "--fires", "3");
    assertThat(shown.status()).as(shown.toString()).isEqualTo(0);
    List<String> lines = shown.out().lines().toList();
    assertThat(lines.get(0)).startsWith("job " + j + "  PAUSED  every 1s  template " + t);
    assertThat(lines).contains("next fires  none");
    int header =
        lines.indexOf(
            lines.stream().filter(l -> l.startsWith("SCHEDULED")).findFirst().orElseThrow());
    assertThat(lines.get(header + 1)).contains("FAILED to start").contains("target: is required");
    int end = header + 1;
    while (end < lines.size() && !lines.get(end).isEmpty()) {
      end++;
    }
    List<String> rows = lines.subList(header + 1, end);
    assertThat(rows).as("--fires 3").hasSizeBetween(2, 3).allMatch(l -> l.contains("Z  "));
    assertThat(shown.out()).contains("webhook deliveries of fire events").contains("(none)");
    JsonObject json = cli(operator, "--json", "jobs", "show", j).json();
    assertThat(json.getJsonObject("job").getString("name")).isEqualTo(j);
    assertThat(json.getJsonArray("fires")).isNotEmpty();
    assertThat(json.getJsonArray("deliveries")).isEmpty();
    assertThat(cli(operator, "jobs", "show", j, "--fires", "0").err())
        .contains("--fires: must be between 1 and 200");
    // The API's list carries it too, read for every job of the page at once.
    assertThat(
            server.get("/api/v1/jobs?limit=500", ADMIN_TOKEN).json().getJsonArray("items").stream()
                .map(o -> (JsonObject) o)
                .filter(o -> o.getString("name").equals(j))
                .map(o -> o.getJsonObject("lastFire").getString("outcome")))
        .containsExactly("failed_to_start");
  }

  private JsonObject lastFire(String job) {
    return server.get("/api/v1/jobs/" + job, ADMIN_TOKEN).json().getJsonObject("lastFire");
  }

  @Test
  void a_forbid_jobs_run_now_and_retry_are_refused_pointing_at_force_and_forced_start() {
    String t = unique("forbid-t");
    template(t, new JsonArray().add(command("x", "sleep 60")));
    String j = unique("forbid-j");
    job(
        j,
        new JsonObject()
            .put("template", t)
            .put("schedule", new JsonObject().put("at", "2099-01-01T00:00:00Z"))
            .put("concurrency", "forbid"));
    Result first = cli(operator, "--json", "jobs", "run", j);
    assertThat(first.status()).as(first.toString()).isEqualTo(0);
    long firstId = first.json().getLong("id");

    Result refused = cli(operator, "jobs", "run", j);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(2);
    assertThat(refused.err())
        .startsWith("nightshift: job '" + j + "' forbids overlapping runs and its run " + firstId)
        .contains("add --force to start one anyway")
        .doesNotContain("\"force\"");
    assertThat(activeRuns(j)).containsExactly(firstId);

    Result forced = cli(operator, "--json", "jobs", "run", j, "--force");
    assertThat(forced.status()).as(forced.toString()).isEqualTo(0);
    long forcedId = forced.json().getLong("id");
    assertThat(activeRuns(j)).containsExactlyInAnyOrder(firstId, forcedId);

    assertThat(cli(operator, "cancel", String.valueOf(firstId)).status()).isEqualTo(0);
    awaitStatus(firstId, "CANCELED");
    Result retryRefused = cli(operator, "retry", String.valueOf(firstId));
    assertThat(retryRefused.status()).as(retryRefused.toString()).isEqualTo(2);
    assertThat(retryRefused.err())
        .contains("its run " + forcedId)
        .contains("add --force to start one anyway");
    Result retried = cli(operator, "--json", "retry", String.valueOf(firstId), "--force");
    assertThat(retried.status()).as(retried.toString()).isEqualTo(0);
    long retryId = retried.json().getLong("id");
    assertThat(retried.json().getLong("retryOf")).isEqualTo(firstId);
    assertThat(activeRuns(j)).containsExactlyInAnyOrder(forcedId, retryId);

    for (long id : new long[] {forcedId, retryId}) {
      assertThat(cli(operator, "cancel", String.valueOf(id)).status()).isEqualTo(0);
      awaitStatus(id, "CANCELED");
    }
  }

  private java.util.List<Long> activeRuns(String job) {
    java.util.List<Long> ids = new java.util.ArrayList<>();
    server
        .get("/api/v1/runs?status=RUNNING,QUEUED&job=" + job, ADMIN_TOKEN)
        .json()
        .getJsonArray("items")
        .forEach(r -> ids.add(((JsonObject) r).getLong("id")));
    return ids;
  }

  @Test
  void every_command_shows_its_help() {
    Result jobsRun = cli(operator, "jobs", "run", "--help");
    assertThat(jobsRun.status()).as(jobsRun.toString()).isEqualTo(0);
    assertThat(jobsRun.out()).contains("Usage: nightshift jobs run").contains("--force");
    assertThat(jobsRun.err()).isEmpty();
    Result runs = cli(operator, "runs", "--help");
    assertThat(runs.status()).as(runs.toString()).isEqualTo(0);
    assertThat(runs.out())
        .contains("Usage: nightshift runs")
        .contains("Only runs in these statuses")
        .contains("--since");
    Result retry = cli(operator, "retry", "-h");
    assertThat(retry.status()).as(retry.toString()).isEqualTo(0);
    assertThat(retry.out()).contains("Usage: nightshift retry").contains("--force");
    Result top = cli(operator, "--help");
    assertThat(top.status()).isEqualTo(0);
    assertThat(top.out()).contains("Usage: nightshift");
  }

  @Test
  void nodes_lists_the_live_nodes_with_this_one_marked() {
    Result nodes = cli(operator, "nodes");
    assertThat(nodes.status()).as(nodes.toString()).isEqualTo(0);
    assertThat(nodes.out())
        .contains("RUNNING")
        .contains(server.nightshift().config().node() + " *")
        .contains("serving");
    Result json = cli(operator, "nodes", "--json");
    assertThat(new JsonArray(json.out()).getJsonObject(0).getString("name"))
        .isEqualTo(server.nightshift().config().node());
  }

  @Test
  void a_template_is_shown_as_yaml_and_two_versions_are_compared() {
    String t = unique("diff-t");
    template(t, new JsonArray().add(command("x", "echo one")));
    template(t, new JsonArray().add(command("x", "echo two")));
    Result show = cli(operator, "templates", "show", t);
    assertThat(show.out()).contains("name: " + t).contains("command: echo two");
    Result diff = cli(operator, "templates", "diff", t, "1", "2");
    assertThat(diff.status()).isEqualTo(0);
    assertThat(diff.out()).contains("- ").contains("echo one").contains("+ ").contains("echo two");
    assertThat(cli(operator, "templates").out()).contains(t);
  }

  @Test
  void a_usage_error_exits_2() {
    Result result = cli(operator, "run");
    assertThat(result.status()).isEqualTo(2);
    assertThat(result.err()).contains("TEMPLATE");
  }
}
