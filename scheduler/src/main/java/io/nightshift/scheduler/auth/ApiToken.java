package io.nightshift.scheduler.auth;

import java.time.Instant;
import java.util.List;

/** A stored token: never holds the secret, only its hash. {@code owner} is the person it is for. */
public record ApiToken(
    String name,
    List<String> roles,
    String owner,
    String createdBy,
    Instant createdAt,
    Instant lastUsedAt) {
  public ApiToken {
    roles = List.copyOf(roles);
    owner = owner == null ? name : owner;
  }
}
