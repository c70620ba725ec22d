package io.nightshift.scheduler.template;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;

/**
 * {@code $name} in the fields of HTTP and notify steps (URL, header values, body) must name a
 * declared parameter or a system variable: an unknown name would otherwise be sent as written.
 */
final class VariableCheck {
  private final Set<String> declared;

  VariableCheck(Set<String> declared) {
    this.declared = declared;
  }

  /** Checks a step's fields; {@code step} is null for a step that had problems of its own. */
  void check(JsonReader in, StepSpec step, String at) {
    if (step == null) {
      return;
    }
    if (step.action() instanceof StepAction.Http http) {
      fields(in, at, http.url(), http.headers(), http.body());
    } else if (step.action() instanceof StepAction.Notify notify) {
      fields(in, at, notify.url(), notify.headers(), notify.body());
    }
  }

  private void fields(
      JsonReader in, String at, String url, Map<String, String> headers, String body) {
    field(in, at + ".url", url);
    headers.forEach((name, value) -> field(in, at + ".headers." + name, value));
    field(in, at + ".body", body);
  }

  private void field(JsonReader in, String field, String text) {
    if (text == null) {
      return;
    }
    Matcher m = Names.VARIABLE.matcher(text);
    while (m.find()) {
      String name = m.group(1) != null ? m.group(1) : m.group(2);
      if (!declared.contains(name) && !Names.SYSTEM_VARIABLES.contains(name)) {
        in.problem(
            field,
            "'$"
                + name
                + "' is not a declared parameter or a system variable (declared: "
                + new TreeSet<>(declared)
                + ")");
      }
    }
  }
}
