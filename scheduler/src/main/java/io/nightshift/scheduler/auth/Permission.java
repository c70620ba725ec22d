package io.nightshift.scheduler.auth;

import java.util.EnumSet;
import java.util.Set;

/** What a request needs; each permission lists the built-in roles that grant it. */
public enum Permission {
  READ(EnumSet.allOf(Role.class)),
  OPERATE(EnumSet.of(Role.OPERATOR, Role.ADMIN)),
  APPROVE(EnumSet.of(Role.APPROVER, Role.ADMIN)),
  ADMINISTER(EnumSet.of(Role.ADMIN));

  private final Set<Role> grantedBy;

  Permission(Set<Role> grantedBy) {
    this.grantedBy = grantedBy;
  }

  public Set<Role> grantedBy() {
    return grantedBy;
  }
}
