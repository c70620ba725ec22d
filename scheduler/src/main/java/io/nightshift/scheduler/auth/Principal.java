package io.nightshift.scheduler.auth;

import io.nightshift.scheduler.error.Forbidden;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The caller of a request: the token's name, its roles, and the person who owns it. */
public record Principal(String name, List<String> roles, String owner) {
  public Principal {
    roles = List.copyOf(roles);
    owner = owner == null ? name : owner;
  }

  public Principal(String name, List<String> roles) {
    this(name, roles, name);
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
