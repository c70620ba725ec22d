package io.nightshift.scheduler.template;

import java.util.ArrayList;
import java.util.List;

/**
 * How a new template version weakens the approval steps of the previous one: a step removed (or no
 * longer an approval), approvers added, a timeout added or shortened, or {@code onTimeout} turned
 * to {@code approve}. Each change is one sentence; none means the approvals are as strict as
 * before.
 */
public final class ApprovalWeakening {
  private ApprovalWeakening() {}

  public static List<String> between(Template before, Template after) {
    List<String> changes = new ArrayList<>();
    for (StepSpec old : before.steps()) {
      if (!(old.action() instanceof StepAction.Approval was)) {
        continue;
      }
      var now = after.step(old.name());
      if (now.isEmpty()) {
        changes.add("approval step '" + old.name() + "' removed");
        continue;
      }
      if (!(now.get().action() instanceof StepAction.Approval is)) {
        changes.add("step '" + old.name() + "' is no longer an approval");
        continue;
      }
      List<String> added = new ArrayList<>(is.approvers());
      added.removeAll(was.approvers());
      if (!added.isEmpty()) {
        changes.add("approval step '" + old.name() + "' approvers added: " + added);
      }
      Integer oldTimeout = old.timeoutSeconds();
      Integer newTimeout = now.get().timeoutSeconds();
      if (newTimeout != null && (oldTimeout == null || newTimeout < oldTimeout)) {
        changes.add(
            "approval step '"
                + old.name()
                + "' timeoutSeconds "
                + (oldTimeout == null ? "none" : oldTimeout)
                + " -> "
                + newTimeout);
      }
      if ("approve".equals(is.onTimeout()) && !"approve".equals(was.onTimeout())) {
        changes.add(
            "approval step '" + old.name() + "' onTimeout " + was.onTimeout() + " -> approve");
      }
    }
    return changes;
  }
}
