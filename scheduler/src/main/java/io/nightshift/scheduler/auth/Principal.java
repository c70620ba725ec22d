package io.nightshift.scheduler.auth;

import io.nightshift.scheduler.error.Forbidden;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The caller of a request: the token's name and roles. */
public record Principal(String name, List<String> roles) {
  public Principal {
    roles = List.copyOf(roles);
  }

  public boolean has(Role role) {
    return roles.contains(role.json());
  }

  public boolean can(Permission permission) {
    return permission.grantedBy().stream().anyMatch(this::has);
  }

  public void require(Permission permission) {
    if (!can(permission)) {
      Set<String> needed =
          permission.grantedBy().stream().map(Role::json).collect(Collectors.toSet());
      throw new Forbidden(
          "token '" + name + "' has roles " + roles + "; this needs one of " + needed);
    }
  }
}
