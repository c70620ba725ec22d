package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.template.StepKind;
import io.nightshift.scheduler.template.Template;
import io.nightshift.scheduler.template.TemplateParser;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The run's next moves, decided from step states alone: no I/O, a fixed time. */
class ProgressTest {
  static final Instant NOW = Instant.parse("2026-11-22T03:00:00Z");

  // a and b start together; c needs both; d needs c.
  static final Template T =
      TemplateParser.parse(
          new JsonObject(
              "{\"name\":\"t\",\"steps\":["
                  + "{\"name\":\"a\",\"kind\":\"command\",\"command\":\"true\"},"
                  + "{\"name\":\"b\",\"kind\":\"command\",\"command\":\"true\",\"needs\":[]},"
                  + "{\"name\":\"c\",\"kind\":\"command\",\"command\":\"true\",\"needs\":[\"a\",\"b\"]},"
                  + "{\"name\":\"d\",\"kind\":\"command\",\"command\":\"true\"}]}"),
          null);

  final Map<String, StepRun> latest = new HashMap<>();
  long ids = 1;

  void state(String name, StepStatus status) {
    latest.put(name, step(name, status, null));
  }

  StepRun step(String name, StepStatus status, Instant notBefore) {
    return new StepRun(
        ids++,
        1,
        name,
        StepKind.COMMAND,
        0,
        1,
        status,
        null,
        null,
        null,
        null,
        notBefore,
        null,
        null,
        null,
        0,
        0);
  }

  Progress progress() {
    return Progress.of(T, latest, NOW);
  }

  @Test
  void steps_without_needs_start_together() {
    for (String s : new String[] {"a", "b", "c", "d"}) {
      state(s, StepStatus.PENDING);
    }
    assertThat(progress().start()).extracting(StepRun::name).containsExactly("a", "b");
    assertThat(progress().finished()).isNull();
  }

  @Test
  void a_step_waits_for_every_need() {
    state("a", StepStatus.SUCCEEDED);
    state("b", StepStatus.RUNNING);
    state("c", StepStatus.PENDING);
    state("d", StepStatus.PENDING);
    assertThat(progress().start()).isEmpty();
    state("b", StepStatus.SUCCEEDED);
    assertThat(progress().start()).extracting(StepRun::name).containsExactly("c");
  }

  @Test
  void a_failure_skips_dependents_but_waits_for_the_running_sibling() {
    state("a", StepStatus.FAILED);
    state("b", StepStatus.RUNNING);
    state("c", StepStatus.PENDING);
    state("d", StepStatus.PENDING);
    Progress p = progress();
    assertThat(p.skip())
        .as("the chain after a")
        .extracting(StepRun::name)
        .containsExactly("c", "d");
    assertThat(p.finished()).as("b still runs").isNull();

    state("c", StepStatus.SKIPPED);
    state("d", StepStatus.SKIPPED);
    assertThat(progress().finished()).as("b still runs").isNull();
    state("b", StepStatus.SUCCEEDED);
    assertThat(progress().finished()).isEqualTo(RunStatus.FAILED);
    assertThat(progress().error()).contains("step 'a' failed");
  }

  @Test
  void a_run_whose_first_failure_timed_out_ends_timed_out_and_other_failures_end_failed() {
    state("a", StepStatus.TIMED_OUT);
    state("b", StepStatus.FAILED);
    state("c", StepStatus.SKIPPED);
    state("d", StepStatus.SKIPPED);
    assertThat(progress().finished()).isEqualTo(RunStatus.TIMED_OUT);
    assertThat(progress().error()).contains("step 'a' timed_out");

    state("a", StepStatus.FAILED);
    state("b", StepStatus.TIMED_OUT);
    assertThat(progress().finished()).isEqualTo(RunStatus.FAILED);
  }

  @Test
  void an_ignored_failure_counts_as_done() {
    Template t =
        TemplateParser.parse(
            new JsonObject(
                "{\"name\":\"t\",\"steps\":["
                    + "{\"name\":\"a\",\"kind\":\"command\",\"command\":\"false\",\"ignoreFailure\":true},"
                    + "{\"name\":\"b\",\"kind\":\"command\",\"command\":\"true\"}]}"),
            null);
    state("a", StepStatus.FAILED);
    state("b", StepStatus.PENDING);
    assertThat(Progress.of(t, latest, NOW).start()).extracting(StepRun::name).containsExactly("b");
    state("b", StepStatus.SUCCEEDED);
    assertThat(Progress.of(t, latest, NOW).finished()).isEqualTo(RunStatus.SUCCEEDED);
  }

  @Test
  void a_retry_in_backoff_waits_until_its_time() {
    latest.put("a", step("a", StepStatus.PENDING, NOW.plusSeconds(5)));
    state("b", StepStatus.SUCCEEDED);
    state("c", StepStatus.PENDING);
    state("d", StepStatus.PENDING);
    Progress p = progress();
    assertThat(p.start()).isEmpty();
    assertThat(p.waiting()).extracting(StepRun::name).containsExactly("a");
    assertThat(Progress.of(T, latest, NOW.plusSeconds(5)).start())
        .extracting(StepRun::name)
        .containsExactly("a");
  }

  @Test
  void all_succeeded_finishes_the_run() {
    for (String s : new String[] {"a", "b", "c", "d"}) {
      state(s, StepStatus.SUCCEEDED);
    }
    assertThat(progress().finished()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(progress().error()).isNull();
  }
}
