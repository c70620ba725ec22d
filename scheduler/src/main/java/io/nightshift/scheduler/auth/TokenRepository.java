package io.nightshift.scheduler.auth;

import static io.nightshift.sql.Tables.API_TOKEN;

import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.store.Sql;
import io.nightshift.sql.tables.records.ApiTokenRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;

/** API tokens, stored by hash. Changes are audited in the same transaction. */
public final class TokenRepository {
  private final DSLContext dsl;

  public TokenRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  public ApiToken create(
      String name, List<String> roles, String owner, String secretHash, String actor, Instant now) {
    try {
      dsl.transaction(
          cfg -> {
            cfg.dsl()
                .insertInto(API_TOKEN)
                .set(API_TOKEN.NAME, name)
                .set(API_TOKEN.TOKEN_HASH, secretHash)
                .set(API_TOKEN.ROLES, String.join(",", roles))
                .set(API_TOKEN.OWNER, owner)
                .set(API_TOKEN.CREATED_BY, actor)
                .set(API_TOKEN.CREATED_AT, now)
                .execute();
            AuditLog.write(
                cfg.dsl(),
                now,
                actor,
                "token.create",
                "token",
                name,
                rolesDetail(roles).put("owner", owner == null ? name : owner));
          });
    } catch (DataAccessException e) {
      if (Sql.isDuplicateKey(e)) {
        throw new Conflict("token '" + name + "' already exists");
      }
      throw e;
    }
    return new ApiToken(name, roles, owner, actor, now, null);
  }

  /**
   * Makes the token {@code name} hold exactly this secret and these roles (used for the admin token
   * given in the configuration).
   */
  public void put(String name, List<String> roles, String secretHash, String actor, Instant now) {
    dsl.transaction(
        cfg -> {
          DSLContext tx = cfg.dsl();
          int updated =
              tx.update(API_TOKEN)
                  .set(API_TOKEN.TOKEN_HASH, secretHash)
                  .set(API_TOKEN.ROLES, String.join(",", roles))
                  .where(API_TOKEN.NAME.eq(name))
                  .and(
                      API_TOKEN
                          .TOKEN_HASH
                          .ne(secretHash)
                          .or(API_TOKEN.ROLES.ne(String.join(",", roles))))
                  .execute();
          boolean exists = tx.fetchExists(API_TOKEN, API_TOKEN.NAME.eq(name));
          if (!exists) {
            tx.insertInto(API_TOKEN)
                .set(API_TOKEN.NAME, name)
                .set(API_TOKEN.TOKEN_HASH, secretHash)
                .set(API_TOKEN.ROLES, String.join(",", roles))
                .set(API_TOKEN.CREATED_BY, actor)
                .set(API_TOKEN.CREATED_AT, now)
                .execute();
          }
          if (updated > 0 || !exists) {
            AuditLog.write(tx, now, actor, "token.put", "token", name, rolesDetail(roles));
          }
        });
  }

  public Optional<ApiToken> findBySecretHash(String secretHash) {
    return dsl.selectFrom(API_TOKEN)
        .where(API_TOKEN.TOKEN_HASH.eq(secretHash))
        .fetchOptional(TokenRepository::map);
  }

  public void touch(String name, Instant now) {
    dsl.update(API_TOKEN).set(API_TOKEN.LAST_USED_AT, now).where(API_TOKEN.NAME.eq(name)).execute();
  }

  public List<ApiToken> list() {
    return dsl.selectFrom(API_TOKEN).orderBy(API_TOKEN.NAME).fetch(TokenRepository::map);
  }

  public int count() {
    return dsl.fetchCount(API_TOKEN);
  }

  public void delete(String name, String actor, Instant now) {
    dsl.transaction(
        cfg -> {
          DSLContext tx = cfg.dsl();
          List<String> admins =
              tx
                  .select(API_TOKEN.NAME, API_TOKEN.ROLES)
                  .from(API_TOKEN)
                  .forUpdate()
                  .fetch()
                  .stream()
                  .filter(r -> Arrays.asList(r.value2().split(",")).contains(Role.ADMIN.json()))
                  .map(r -> r.value1())
                  .toList();
          if (admins.size() == 1 && admins.get(0).equals(name)) {
            throw new Conflict(
                "token '" + name + "' is the last admin token; create another admin token first");
          }
          int deleted = tx.deleteFrom(API_TOKEN).where(API_TOKEN.NAME.eq(name)).execute();
          if (deleted == 0) {
            throw new NotFound("token", name);
          }
          AuditLog.write(cfg.dsl(), now, actor, "token.delete", "token", name, null);
        });
  }

  private static ApiToken map(ApiTokenRecord r) {
    return new ApiToken(
        r.getName(),
        Arrays.asList(r.getRoles().split(",")),
        r.getOwner(),
        r.getCreatedBy(),
        r.getCreatedAt(),
        r.getLastUsedAt());
  }

  private static JsonObject rolesDetail(List<String> roles) {
    return new JsonObject().put("roles", new JsonArray(roles));
  }
}
