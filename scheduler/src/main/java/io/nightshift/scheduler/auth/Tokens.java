package io.nightshift.scheduler.auth;

import io.nightshift.scheduler.approval.Requesters;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.error.Unauthorized;
import io.nightshift.scheduler.template.Names;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Issues and checks bearer tokens. */
public final class Tokens {
  private static final Duration TOUCH_EVERY = Duration.ofMinutes(1);

  private final TokenRepository repository;
  private final Clock clock;

  public Tokens(TokenRepository repository, Clock clock) {
    this.repository = repository;
    this.clock = clock;
  }

  /** The caller behind a secret, or {@link Unauthorized}. */
  public Principal authenticate(String secret) {
    if (secret == null || secret.isBlank()) {
      throw new Unauthorized("missing bearer token: send 'Authorization: Bearer <token>'");
    }
    ApiToken token =
        repository
            .findBySecretHash(TokenSecret.hash(secret.trim()))
            .orElseThrow(() -> new Unauthorized("the bearer token is not valid"));
    Instant now = clock.instant();
    if (token.lastUsedAt() == null || token.lastUsedAt().plus(TOUCH_EVERY).isBefore(now)) {
      repository.touch(token.name(), now);
    }
    return new Principal(token.name(), token.roles(), token.owner());
  }

  /** A new token and its secret; the secret is never stored or shown again. */
  public Issued issue(String name, List<String> roles, String owner, String actor) {
    validate(name, roles, owner);
    String secret = TokenSecret.generate();
    ApiToken token =
        repository.create(name, roles, owner, TokenSecret.hash(secret), actor, clock.instant());
    return new Issued(token, secret);
  }

  static void validate(String name, List<String> roles, String owner) {
    List<Invalid.Problem> problems = new ArrayList<>();
    if (name == null) {
      problems.add(new Invalid.Problem("name", "is required"));
    } else if (!Names.isResourceName(name)) {
      problems.add(new Invalid.Problem("name", Names.resourceRule() + ", got '" + name + "'"));
    } else if (Requesters.NOT_PEOPLE.contains(name)) {
      problems.add(
          new Invalid.Problem(
              "name", "'" + name + "' is a name Nightshift itself uses in the audit trail"));
    }
    if (owner != null && !Names.isResourceName(owner)) {
      problems.add(new Invalid.Problem("owner", Names.resourceRule() + ", got '" + owner + "'"));
    } else if (owner != null && Requesters.NOT_PEOPLE.contains(owner)) {
      problems.add(
          new Invalid.Problem(
              "owner", "'" + owner + "' is a name Nightshift itself uses in the audit trail"));
    }
    if (roles == null || roles.isEmpty()) {
      problems.add(
          new Invalid.Problem(
              "roles", "must list at least one of viewer, operator, approver, admin"));
    } else {
      for (int i = 0; i < roles.size(); i++) {
        if (!Names.isResourceName(roles.get(i))) {
          problems.add(
              new Invalid.Problem(
                  "roles[" + i + "]", Names.resourceRule() + ", got '" + roles.get(i) + "'"));
        } else if (roles.subList(0, i).contains(roles.get(i))) {
          problems.add(
              new Invalid.Problem("roles[" + i + "]", "'" + roles.get(i) + "' is listed twice"));
        }
      }
      if (roles.stream().noneMatch(r -> Role.fromJson(r).isPresent())) {
        problems.add(
            new Invalid.Problem(
                "roles", "must include one of viewer, operator, approver, admin, got " + roles));
      }
    }
    if (!problems.isEmpty()) {
      throw new Invalid(problems);
    }
  }

  public List<ApiToken> list() {
    return repository.list();
  }

  public void revoke(String name, String actor) {
    repository.delete(name, actor, clock.instant());
  }

  /** A token as created: the only time its secret is known. */
  public record Issued(ApiToken token, String secret) {}
}
