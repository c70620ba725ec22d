package io.nightshift.scheduler.approval;

import io.nightshift.scheduler.auth.Permission;
import io.nightshift.scheduler.auth.Principal;
import io.nightshift.scheduler.auth.Role;
import io.nightshift.scheduler.error.Forbidden;

/**
 * Who may decide an approval: admins, and approvers named in the step (by token name or by a {@code
 * role:NAME} they hold). By default no requester of the run ({@link Requesters}) may approve it.
 */
public final class Approvers {
  private final boolean allowSelfApproval;

  public Approvers(boolean allowSelfApproval) {
    this.allowSelfApproval = allowSelfApproval;
  }

  public boolean listed(Approval approval, Principal who) {
    if (who.has(Role.ADMIN)) {
      return true;
    }
    if (!who.can(Permission.APPROVE)) {
      return false;
    }
    for (String entry : approval.approvers()) {
      if (entry.startsWith("role:")
          ? who.roles().contains(entry.substring("role:".length()))
          : entry.equals(who.name())) {
        return true;
      }
    }
    return false;
  }

  /**
   * May {@code who} approve it: listed, and not a requester of the run (unless self-approval is
   * allowed). A requester who is listed may still deny it.
   */
  public boolean mayApprove(Approval approval, Principal who) {
    return listed(approval, who) && (allowSelfApproval || !approval.requesters().includes(who));
  }

  /** A {@link Forbidden} naming why {@code who} may not take this decision. */
  public void check(Approval approval, Principal who, boolean approve) {
    if (!listed(approval, who)) {
      throw new Forbidden(
          "token '"
              + who.name()
              + "' may not decide approval "
              + approval.id()
              + "; it needs the approver role and one of "
              + approval.approvers()
              + " (or admin)");
    }
    if (approve && !mayApprove(approval, who)) {
      throw new Forbidden(
          "'"
              + who.owner()
              + "' asked for run "
              + approval.runId()
              + " (started or retried it, or created or last changed its job or template version)"
              + " and may not approve it; requesters: "
              + approval.requesters().people()
              + " (auth.allowSelfApproval is false)");
    }
  }
}
