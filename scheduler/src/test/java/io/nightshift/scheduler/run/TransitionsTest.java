package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.scheduler.error.Conflict;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class TransitionsTest {

  @Test
  void terminal_run_statuses_never_change() {
    EnumSet<RunStatus> terminal =
        EnumSet.of(
            RunStatus.SUCCEEDED,
            RunStatus.FAILED,
            RunStatus.CANCELED,
            RunStatus.TIMED_OUT,
            RunStatus.ROLLED_BACK,
            RunStatus.ROLLBACK_FAILED);
    for (RunStatus from : RunStatus.values()) {
      assertThat(from.terminal()).as(from.name()).isEqualTo(terminal.contains(from));
    }
    for (RunStatus from : terminal) {
      for (RunStatus to : RunStatus.values()) {
        assertThatThrownBy(() -> Transitions.check(7, from, to))
            .isInstanceOf(Conflict.class)
            .hasMessageContaining("run 7 is " + from + " and cannot become " + to);
      }
    }
  }

  @Test
  void a_running_run_may_end_or_wait_but_not_go_back_to_queued() {
    Transitions.check(1, RunStatus.RUNNING, RunStatus.SUCCEEDED);
    Transitions.check(1, RunStatus.RUNNING, RunStatus.WAITING_APPROVAL);
    Transitions.check(1, RunStatus.RUNNING, RunStatus.CANCELED);
    assertThatThrownBy(() -> Transitions.check(1, RunStatus.RUNNING, RunStatus.QUEUED))
        .isInstanceOf(Conflict.class);
    assertThatThrownBy(() -> Transitions.check(1, RunStatus.ROLLING_BACK, RunStatus.SUCCEEDED))
        .isInstanceOf(Conflict.class);
  }

  @Test
  void a_canceling_run_can_only_become_canceled_and_is_not_over() {
    assertThat(RunStatus.CANCELING.terminal()).isFalse();
    Transitions.check(1, RunStatus.RUNNING, RunStatus.CANCELING);
    Transitions.check(1, RunStatus.WAITING_APPROVAL, RunStatus.CANCELING);
    Transitions.check(1, RunStatus.CANCELING, RunStatus.CANCELED);
    for (RunStatus to : RunStatus.values()) {
      if (to != RunStatus.CANCELED) {
        assertThatThrownBy(() -> Transitions.check(1, RunStatus.CANCELING, to))
            .isInstanceOf(Conflict.class);
      }
    }
  }

  @Test
  void a_canceled_or_failed_step_never_becomes_succeeded() {
    for (StepStatus from :
        EnumSet.of(
            StepStatus.CANCELED, StepStatus.FAILED, StepStatus.TIMED_OUT, StepStatus.SKIPPED)) {
      assertThatThrownBy(() -> Transitions.check(3L, from, StepStatus.SUCCEEDED))
          .isInstanceOf(Conflict.class);
    }
    Transitions.check(3L, StepStatus.RUNNING, StepStatus.CANCELED);
    Transitions.check(3L, StepStatus.SUCCEEDED, StepStatus.ROLLED_BACK);
  }

  @Test
  void every_status_has_a_row_in_the_table() {
    for (RunStatus s : RunStatus.values()) {
      assertThat(Transitions.allowed(s)).as(s.name()).isNotNull();
    }
    for (StepStatus s : StepStatus.values()) {
      assertThat(Transitions.allowed(s)).as(s.name()).isNotNull();
    }
  }
}
