package io.nightshift.scheduler.run;

import io.nightshift.scheduler.template.StepGraph;
import io.nightshift.scheduler.template.StepSpec;
import io.nightshift.scheduler.template.Template;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The order in which a failed run's undos run: steps that SUCCEEDED and have an {@code undo}, in
 * reverse completion order, but a step only after every step that (directly or through others)
 * needed it has been undone. Pure: decided from the template and the steps' states.
 */
public final class RollbackPlan {
  private RollbackPlan() {}

  /** The next step to undo, or null when nothing is left. */
  public static StepRun next(Template template, Map<String, StepRun> latest) {
    List<StepRun> left = remaining(template, latest);
    return left.isEmpty() ? null : left.get(0);
  }

  /** Every step still to undo, in the order they will be undone. */
  public static List<StepRun> remaining(Template template, Map<String, StepRun> latest) {
    List<StepRun> todo = new ArrayList<>();
    for (StepSpec spec : template.steps()) {
      StepRun step = latest.get(spec.name());
      if (spec.undo() != null && step != null && step.status() == StepStatus.SUCCEEDED) {
        todo.add(step);
      }
    }
    todo.sort(
        Comparator.comparing((StepRun s) -> s.finishedAt() == null ? Instant.MIN : s.finishedAt())
            .reversed()
            .thenComparing(StepRun::position, Comparator.reverseOrder()));
    StepGraph graph = StepGraph.of(template.steps());
    List<StepRun> ordered = new ArrayList<>();
    Set<String> pending = new HashSet<>();
    todo.forEach(s -> pending.add(s.name()));
    while (!todo.isEmpty()) {
      StepRun chosen = null;
      for (StepRun candidate : todo) {
        if (noPendingDependent(graph, candidate.name(), pending, new HashSet<>())) {
          chosen = candidate;
          break;
        }
      }
      if (chosen == null) {
        chosen = todo.get(0);
      }
      todo.remove(chosen);
      pending.remove(chosen.name());
      ordered.add(chosen);
    }
    return ordered;
  }

  /** No step still to undo depends (transitively) on {@code step}. */
  private static boolean noPendingDependent(
      StepGraph graph, String step, Set<String> pending, Set<String> seen) {
    for (String dependent : graph.dependentsOf(step)) {
      if (!seen.add(dependent)) {
        continue;
      }
      if (pending.contains(dependent) || !noPendingDependent(graph, dependent, pending, seen)) {
        return false;
      }
    }
    return true;
  }
}
