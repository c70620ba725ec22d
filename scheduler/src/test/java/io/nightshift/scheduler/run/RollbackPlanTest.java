package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.template.StepKind;
import io.nightshift.scheduler.template.Template;
import io.nightshift.scheduler.template.TemplateParser;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The order of undos, decided from the template and the steps' states alone. */
class RollbackPlanTest {
  static final Instant T0 = Instant.parse("2026-11-22T03:00:00Z");

  /**
   * The game-update shape: stop; backup and upgrade-app after stop; upgrade-db after backup; qa
   * after both upgrades; start after qa. Every command step but start has an undo.
   */
  static final Template GAME =
      TemplateParser.parse(
          new JsonObject(
              "{\"name\":\"game-update\",\"onFailure\":\"rollback\",\"steps\":["
                  + "{\"name\":\"stop\",\"kind\":\"command\",\"command\":\"x\",\"undo\":\"u\"},"
                  + "{\"name\":\"backup\",\"kind\":\"command\",\"command\":\"x\",\"undo\":\"u\","
                  + "\"needs\":[\"stop\"]},"
                  + "{\"name\":\"upgrade-app\",\"kind\":\"command\",\"command\":\"x\","
                  + "\"undo\":\"u\",\"needs\":[\"stop\"]},"
                  + "{\"name\":\"upgrade-db\",\"kind\":\"command\",\"command\":\"x\","
                  + "\"undo\":\"u\",\"needs\":[\"backup\"]},"
                  + "{\"name\":\"qa\",\"kind\":\"approval\",\"approvers\":[\"role:qa\"],"
                  + "\"needs\":[\"upgrade-db\",\"upgrade-app\"]},"
                  + "{\"name\":\"start\",\"kind\":\"command\",\"command\":\"x\"}]}"),
          null);

  final Map<String, StepRun> latest = new HashMap<>();
  long ids = 1;

  /** A step of GAME in this status, finished {@code second} seconds after T0 (null: not ended). */
  void state(String name, StepStatus status, Integer second) {
    int position = 0;
    for (int i = 0; i < GAME.steps().size(); i++) {
      if (GAME.steps().get(i).name().equals(name)) {
        position = i;
      }
    }
    latest.put(
        name,
        new StepRun(
            ids++,
            1,
            name,
            StepKind.COMMAND,
            position,
            1,
            status,
            null,
            null,
            T0,
            second == null ? null : T0.plusSeconds(second),
            null,
            null,
            null,
            null,
            0,
            0));
  }

  List<String> plan(Template template) {
    return RollbackPlan.remaining(template, latest).stream().map(StepRun::name).toList();
  }

  @Test
  void succeeded_steps_are_undone_in_reverse_completion_order() {
    state("stop", StepStatus.SUCCEEDED, 1);
    state("backup", StepStatus.SUCCEEDED, 2);
    state("upgrade-db", StepStatus.SUCCEEDED, 3);
    state("upgrade-app", StepStatus.SUCCEEDED, 4);
    state("qa", StepStatus.DENIED, 5);
    state("start", StepStatus.SKIPPED, 5);

    assertThat(plan(GAME)).containsExactly("upgrade-app", "upgrade-db", "backup", "stop");
    assertThat(RollbackPlan.next(GAME, latest).name()).isEqualTo("upgrade-app");
  }

  @Test
  void when_upgrade_app_completes_first_it_is_undone_after_the_db_steps() {
    state("stop", StepStatus.SUCCEEDED, 1);
    state("upgrade-app", StepStatus.SUCCEEDED, 2);
    state("backup", StepStatus.SUCCEEDED, 3);
    state("upgrade-db", StepStatus.SUCCEEDED, 4);

    assertThat(plan(GAME)).containsExactly("upgrade-db", "backup", "upgrade-app", "stop");
  }

  @Test
  void only_succeeded_steps_with_an_undo_are_undone() {
    state("stop", StepStatus.SUCCEEDED, 1);
    state("backup", StepStatus.SUCCEEDED, 2);
    state("upgrade-app", StepStatus.FAILED, 3);
    state("upgrade-db", StepStatus.SUCCEEDED, 4);
    state("qa", StepStatus.SKIPPED, 4);
    state("start", StepStatus.SKIPPED, 4);

    assertThat(plan(GAME)).containsExactly("upgrade-db", "backup", "stop");
  }

  @Test
  void steps_already_rolled_back_are_not_undone_again() {
    state("stop", StepStatus.SUCCEEDED, 1);
    state("backup", StepStatus.SUCCEEDED, 2);
    state("upgrade-db", StepStatus.ROLLED_BACK, 3);
    state("upgrade-app", StepStatus.ROLLED_BACK, 4);

    assertThat(plan(GAME)).containsExactly("backup", "stop");
    state("backup", StepStatus.ROLLED_BACK, 2);
    state("stop", StepStatus.ROLLED_BACK, 1);
    assertThat(RollbackPlan.next(GAME, latest)).isNull();
    assertThat(plan(GAME)).isEmpty();
  }

  @Test
  void a_step_is_undone_only_after_every_step_that_needed_it_even_if_it_completed_later() {
    // Completion times that contradict the dependencies (e.g. steps kept from an earlier run by a
    // retry, or clocks of different nodes): the dependencies still win.
    state("stop", StepStatus.SUCCEEDED, 9);
    state("backup", StepStatus.SUCCEEDED, 2);
    state("upgrade-app", StepStatus.SUCCEEDED, 3);
    state("upgrade-db", StepStatus.SUCCEEDED, 1);

    List<String> plan = plan(GAME);

    assertThat(plan).containsExactly("upgrade-app", "upgrade-db", "backup", "stop");
  }

  @Test
  void a_dependent_without_an_undo_does_not_hide_a_transitive_dependent() {
    // a <- b (no undo) <- c: c must be undone before a even though b sits between them.
    Template chain =
        TemplateParser.parse(
            new JsonObject(
                "{\"name\":\"chain\",\"onFailure\":\"rollback\",\"steps\":["
                    + "{\"name\":\"a\",\"kind\":\"command\",\"command\":\"x\",\"undo\":\"u\"},"
                    + "{\"name\":\"b\",\"kind\":\"command\",\"command\":\"x\"},"
                    + "{\"name\":\"c\",\"kind\":\"command\",\"command\":\"x\",\"undo\":\"u\"}]}"),
            null);
    latest.put("a", run("a", 0, 5));
    latest.put("b", run("b", 1, 2));
    latest.put("c", run("c", 2, 1));

    assertThat(plan(chain)).containsExactly("c", "a");
  }

  @Test
  void steps_that_completed_in_the_same_instant_are_undone_in_reverse_template_order() {
    state("stop", StepStatus.SUCCEEDED, 1);
    state("backup", StepStatus.SUCCEEDED, 2);
    state("upgrade-app", StepStatus.SUCCEEDED, 2);
    state("upgrade-db", StepStatus.SUCCEEDED, 3);

    assertThat(plan(GAME)).containsExactly("upgrade-db", "upgrade-app", "backup", "stop");
  }

  StepRun run(String name, int position, int second) {
    return new StepRun(
        ids++,
        1,
        name,
        StepKind.COMMAND,
        position,
        1,
        StepStatus.SUCCEEDED,
        0,
        null,
        T0,
        T0.plusSeconds(second),
        null,
        null,
        null,
        null,
        0,
        0);
  }
}
