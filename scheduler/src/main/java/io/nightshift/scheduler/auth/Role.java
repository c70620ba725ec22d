package io.nightshift.scheduler.auth;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The built-in roles. A token may also carry other role names (e.g. {@code qa}); those grant
 * nothing by themselves but scope approvals that list {@code role:qa}.
 */
public enum Role {
  VIEWER,
  OPERATOR,
  APPROVER,
  ADMIN;

  public String json() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Role> fromJson(String value) {
    return Arrays.stream(values()).filter(r -> r.json().equals(value)).findFirst();
  }
}
