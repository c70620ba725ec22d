package io.nightshift.web.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/**
 * A followed log as text: lines and status changes reach the stream by different paths, so the
 * printer puts an attempt's RUNNING mark above its first line whichever came first.
 */
class FollowPrinterTest {
  private final StringWriter text = new StringWriter();
  private final FollowPrinter printer =
      new FollowPrinter(new Output(new PrintWriter(text, true), false, false), null);

  private static JsonObject line(String step, long attempt, String line) {
    return new JsonObject().put("step", step).put("stepRunId", attempt).put("line", line);
  }

  private static JsonObject step(String step, long attempt, String status) {
    return new JsonObject().put("step", step).put("stepRunId", attempt).put("status", status);
  }

  @Test
  void a_line_that_comes_before_its_attempts_running_event_is_printed_below_the_mark() {
    printer.print("log", line("build", 7, "compiling"));
    printer.print("step", step("build", 7, "RUNNING"));
    printer.print("log", line("build", 7, "done"));
    printer.print("step", step("build", 7, "SUCCEEDED"));

    assertThat(text.toString().lines())
        .containsExactly(
            "-- step build RUNNING",
            "build | compiling",
            "build | done",
            "-- step build SUCCEEDED");
  }

  @Test
  void an_approval_says_what_it_asks_who_decides_until_when_and_how_then_its_decision() {
    printer.print("step", step("qa", 3, "WAITING_APPROVAL"));
    printer.print(
        "approval",
        new JsonObject()
            .put("type", "approval")
            .put("event", "requested")
            .put("approvalId", 12)
            .put("step", "qa")
            .put("status", "PENDING")
            .put(
                "approval",
                new JsonObject()
                    .put("message", "QA passed for 1.2.3?")
                    .put("approvers", new io.vertx.core.json.JsonArray().add("role:qa").add("bob"))
                    .put("expiresAt", "2026-12-05T21:00:00.000Z")));
    printer.print(
        "approval",
        new JsonObject()
            .put("event", "decided")
            .put("approvalId", 12)
            .put("step", "qa")
            .put("status", "APPROVED")
            .put("decidedBy", "bob")
            .put("approval", new JsonObject().put("comment", "looks good")));

    assertThat(text.toString().lines())
        .containsExactly(
            "-- step qa WAITING_APPROVAL",
            "-- approval 12 for step qa: QA passed for 1.2.3? (approvers role:qa, bob; expires"
                + " 2026-12-05T21:00:00.000Z): nightshift approve 12 | nightshift deny 12 -m WHY",
            "-- approval 12 for step qa APPROVED by bob: looks good");
  }

  @Test
  void in_order_events_print_as_they_come_and_each_attempt_of_a_retry_gets_its_mark() {
    printer.print("step", step("fetch", 1, "RUNNING"));
    printer.print("log", line("fetch", 1, "timeout"));
    printer.print("step", step("fetch", 1, "FAILED"));
    // A late line of the failed attempt adds no mark; the retry's first line comes before its
    // event.
    printer.print("log", line("fetch", 1, "late"));
    printer.print("log", line("fetch", 2, "ok"));
    printer.print("step", step("fetch", 2, "RUNNING"));
    printer.print("step", step("fetch", 2, "SUCCEEDED"));

    assertThat(text.toString().lines())
        .containsExactly(
            "-- step fetch RUNNING",
            "fetch | timeout",
            "-- step fetch FAILED",
            "fetch | late",
            "-- step fetch RUNNING",
            "fetch | ok",
            "-- step fetch SUCCEEDED");
  }

  @Test
  void a_resumed_stream_telling_where_each_attempt_stands_adds_only_the_marks_missed() {
    printer.print("step", step("dump", 3, "RUNNING"));
    printer.print("log", line("dump", 3, "dumped"));
    printer.print("step", step("dump", 3, "SUCCEEDED"));
    printer.print("step", step("ship", 4, "RUNNING"));
    // The connection broke; the resumed stream sends the lines missed, then where each stands.
    printer.print("log", line("ship", 4, "shipped"));
    printer.print("step", step("dump", 3, "SUCCEEDED"));
    printer.print("step", step("ship", 4, "SUCCEEDED"));

    assertThat(text.toString().lines())
        .containsExactly(
            "-- step dump RUNNING",
            "dump | dumped",
            "-- step dump SUCCEEDED",
            "-- step ship RUNNING",
            "ship | shipped",
            "-- step ship SUCCEEDED");
  }

  @Test
  void lines_the_run_stored_that_the_stream_never_brought_are_said_not_hidden() {
    printer.print("step", step("dump", 3, "RUNNING"));
    printer.print("log", line("dump", 3, "one"));
    printer.print("log", line("dump", 3, "two"));
    printer.print("log", line("ship", 4, "shipped"));
    JsonObject run =
        new JsonObject()
            .put("id", 9)
            .put(
                "steps",
                new io.vertx.core.json.JsonArray()
                    .add(attempt(3, "dump", 1, 5))
                    .add(
                        new JsonObject()
                            .put("name", "ship")
                            .put(
                                "attempts",
                                new io.vertx.core.json.JsonArray()
                                    .add(attempt(2, "ship", 1, 0))
                                    .add(attempt(4, "ship", 2, 1)))));

    assertThat(printer.unshown(run))
        .containsExactly(
            "3 of the 5 lines of step dump (attempt 1) were not shown: they were not stored yet"
                + " when the stream reached them; `nightshift logs 9 --step dump` shows them once"
                + " they are (within about a minute of a node's death)");
  }

  private static JsonObject attempt(long id, String name, int attempt, long lines) {
    return new JsonObject()
        .put("id", id)
        .put("name", name)
        .put("attempt", attempt)
        .put("lines", lines);
  }

  @Test
  void a_retrys_lines_and_marks_carry_its_attempt() {
    printer.print("step", step("fetch", 1, "RUNNING").put("attempt", 1));
    printer.print("step", step("fetch", 1, "FAILED").put("attempt", 1));
    printer.print("log", line("fetch", 2, "ok").put("attempt", 2));
    printer.print("step", step("fetch", 2, "SUCCEEDED").put("attempt", 2));

    assertThat(text.toString().lines())
        .containsExactly(
            "-- step fetch RUNNING",
            "-- step fetch FAILED",
            "-- step fetch RUNNING attempt 2",
            "fetch#2 | ok",
            "-- step fetch SUCCEEDED attempt 2");
  }
}
