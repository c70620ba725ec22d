package io.nightshift.scheduler.template;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The dependency graph of a template's steps: who needs whom. */
public final class StepGraph {
  private final Map<String, List<String>> needs = new LinkedHashMap<>();

  private StepGraph() {}

  public static StepGraph of(List<StepSpec> steps) {
    StepGraph graph = new StepGraph();
    steps.forEach(s -> graph.needs.put(s.name(), s.needs()));
    return graph;
  }

  /** Steps that need {@code step} directly. */
  public List<String> dependentsOf(String step) {
    List<String> out = new ArrayList<>();
    needs.forEach(
        (name, required) -> {
          if (required.contains(step)) {
            out.add(name);
          }
        });
    return out;
  }

  /** Steps whose needs are all in {@code done}, excluding those already in {@code started}. */
  public List<String> ready(Set<String> done, Set<String> started) {
    List<String> out = new ArrayList<>();
    needs.forEach(
        (name, required) -> {
          if (!started.contains(name) && done.containsAll(required)) {
            out.add(name);
          }
        });
    return out;
  }

  /** A cycle as a path that starts and ends on the same step, or an empty list. */
  public List<String> findCycle() {
    Map<String, Integer> state = new HashMap<>();
    List<String> stack = new ArrayList<>();
    for (String start : needs.keySet()) {
      List<String> cycle = visit(start, state, stack);
      if (!cycle.isEmpty()) {
        return cycle;
      }
    }
    return Collections.emptyList();
  }

  private List<String> visit(String node, Map<String, Integer> state, List<String> stack) {
    Integer s = state.get(node);
    if (s != null && s == 2) {
      return List.of();
    }
    if (s != null && s == 1) {
      List<String> cycle = new ArrayList<>(stack.subList(stack.indexOf(node), stack.size()));
      cycle.add(node);
      return cycle;
    }
    state.put(node, 1);
    stack.add(node);
    for (String next : needs.getOrDefault(node, List.of())) {
      List<String> cycle = visit(next, state, stack);
      if (!cycle.isEmpty()) {
        return cycle;
      }
    }
    stack.remove(stack.size() - 1);
    state.put(node, 2);
    return List.of();
  }
}
