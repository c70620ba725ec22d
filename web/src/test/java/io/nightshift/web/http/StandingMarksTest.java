package io.nightshift.web.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.run.RunEvents;
import io.nightshift.scheduler.run.StepStatus;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where a stream's standing step marks go among the lines it replays. */
class StandingMarksTest {
  static final Instant T = Instant.parse("2026-12-04T10:00:00Z");

  final List<String> sent = new ArrayList<>();

  static LogLine line(long attempt, long seq, int ms) {
    return new LogLine(1, attempt, "s" + attempt, 1, seq, T.plusMillis(ms), "stdout", "x");
  }

  static JsonObject mark(long attempt, StepStatus status, int ms) {
    return RunEvents.step(1, attempt, "s" + attempt, 1, status, null, T.plusMillis(ms));
  }

  /** As the stream sends a line: the marks due before and after it, each told. */
  void send(StandingMarks marks, LogLine line) {
    marks.before(line).forEach(e -> told(marks, e));
    sent.add("line " + line.stepRunId() + "." + line.seq());
    marks.after(line).forEach(e -> told(marks, e));
  }

  void told(StandingMarks marks, JsonObject event) {
    marks.told("step", event);
    marked(event);
  }

  void marked(JsonObject event) {
    sent.add(event.getString("step") + " " + event.getString("status"));
  }

  @Test
  void an_attempts_end_stamped_before_its_last_line_comes_right_after_that_line() {
    // Attempt 1 ended at +10 ms with 2 lines, the second stamped at +12 ms (read from the pipe
    // after the exit was); attempt 2 started at +20 ms and is running.
    StandingMarks marks =
        new StandingMarks(
            List.of(mark(2, StepStatus.RUNNING, 20), mark(1, StepStatus.SUCCEEDED, 10)),
            Map.of(1L, 2L),
            Map.of());
    send(marks, line(1, 1, 5));
    send(marks, line(1, 2, 12));
    send(marks, line(2, 1, 25));
    assertThat(sent)
        .containsExactly("line 1.1", "line 1.2", "s1 SUCCEEDED", "s2 RUNNING", "line 2.1");
    assertThat(marks.afterReplay()).isEmpty();
  }

  @Test
  void an_end_owed_past_lines_the_client_already_has_goes_out_as_the_stream_passes_them() {
    StandingMarks marks =
        new StandingMarks(List.of(mark(1, StepStatus.FAILED, 10)), Map.of(1L, 2L), Map.of());
    assertThat(marks.after(line(1, 1, 5))).isEmpty();
    assertThat(marks.after(line(1, 2, 12)))
        .singleElement()
        .satisfies(e -> assertThat(e.getString("status")).isEqualTo("FAILED"));
    assertThat(marks.afterReplay()).isEmpty();
  }

  @Test
  void an_end_whose_lines_were_not_stored_at_the_replay_comes_after_its_last_line() {
    // A fast step ended with one line just before the stream opened; the store did not have the
    // line yet, so the replay sent none.
    StandingMarks marks =
        new StandingMarks(List.of(mark(1, StepStatus.SUCCEEDED, 10)), Map.of(1L, 1L), Map.of());
    assertThat(marks.afterReplay()).as("the end waits for the line").isEmpty();
    send(marks, line(1, 1, 5));
    assertThat(sent).containsExactly("line 1.1", "s1 SUCCEEDED");
    assertThat(marks.rest()).isEmpty();
  }

  @Test
  void an_end_whose_lines_never_come_is_still_owed_after_the_replay() {
    StandingMarks marks =
        new StandingMarks(List.of(mark(1, StepStatus.SUCCEEDED, 10)), Map.of(1L, 3L), Map.of());
    assertThat(marks.afterReplay()).isEmpty();
    send(marks, line(1, 1, 5));
    assertThat(marks.rest())
        .singleElement()
        .satisfies(e -> assertThat(e.getString("status")).isEqualTo("SUCCEEDED"));
  }

  @Test
  void a_live_step_event_that_says_what_was_told_already_is_stale() {
    StandingMarks marks = new StandingMarks(List.of(), Map.of(), Map.of());
    assertThat(marks.stale(mark(1, StepStatus.RUNNING, 1))).as("nothing told yet").isFalse();
    marks.told("step", mark(1, StepStatus.SUCCEEDED, 10));
    assertThat(marks.stale(mark(1, StepStatus.SUCCEEDED, 10))).as("the same end again").isTrue();
    assertThat(marks.stale(mark(1, StepStatus.RUNNING, 5))).as("a start after its end").isTrue();
    assertThat(marks.stale(mark(1, StepStatus.ROLLED_BACK, 20))).as("its undo ran").isFalse();
    assertThat(marks.stale(mark(2, StepStatus.RUNNING, 20))).as("another attempt").isFalse();
    marks.told("step", mark(1, StepStatus.ROLLED_BACK, 20));
    assertThat(marks.stale(mark(1, StepStatus.SUCCEEDED, 10))).isTrue();
  }

  @Test
  void a_live_end_told_while_the_same_standing_end_waits_for_its_lines_is_not_told_again() {
    StandingMarks marks =
        new StandingMarks(List.of(mark(1, StepStatus.SUCCEEDED, 10)), Map.of(1L, 1L), Map.of());
    assertThat(marks.afterReplay()).isEmpty();
    marks.told("step", mark(1, StepStatus.SUCCEEDED, 10)); // the live event went out
    send(marks, line(1, 1, 5));
    assertThat(sent).containsExactly("line 1.1");
    assertThat(marks.rest()).isEmpty();
  }

  @Test
  void an_attempt_without_lines_is_marked_by_its_time() {
    StandingMarks marks =
        new StandingMarks(
            List.of(mark(1, StepStatus.SUCCEEDED, 10), mark(2, StepStatus.RUNNING, 20)),
            Map.of(),
            Map.of());
    send(marks, line(2, 1, 25));
    assertThat(sent).containsExactly("s1 SUCCEEDED", "s2 RUNNING", "line 2.1");
  }

  @Test
  void the_end_of_an_attempt_whose_lines_the_resuming_client_has_comes_in_time_order() {
    // The client resumes after attempt 1's last line: its end goes before attempt 2's first line.
    StandingMarks marks =
        new StandingMarks(
            List.of(mark(1, StepStatus.SUCCEEDED, 10), mark(2, StepStatus.RUNNING, 20)),
            Map.of(1L, 2L),
            Map.of(1L, 2L));
    send(marks, line(2, 1, 25));
    assertThat(sent).containsExactly("s1 SUCCEEDED", "s2 RUNNING", "line 2.1");
  }
}
