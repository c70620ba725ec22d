package io.nightshift.web.http;

import io.nightshift.executor.Instants;
import io.nightshift.scheduler.auth.ApiToken;
import io.nightshift.scheduler.auth.Permission;
import io.nightshift.scheduler.auth.Principal;
import io.nightshift.scheduler.auth.Tokens;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.template.JsonReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;

/** Token management for admins: create (the secret is shown once), list, revoke. */
public final class TokenRoutes {
  private final Endpoints endpoints;
  private final Tokens tokens;
  private final OpenStreams streams;

  public TokenRoutes(Endpoints endpoints, Tokens tokens, OpenStreams streams) {
    this.endpoints = endpoints;
    this.tokens = tokens;
    this.streams = streams;
  }

  public void mount(Router api) {
    api.post("/tokens").handler(endpoints.blocking(Permission.ADMINISTER, this::create));
    api.get("/tokens")
        .handler(endpoints.blocking(Permission.ADMINISTER, QueryParameters.none(), this::list));
    api.delete("/tokens/:name")
        .handler(endpoints.blocking(Permission.ADMINISTER, NoBody.CHECK, this::delete));
    api.get("/me").handler(QueryParameters.none().handler()).handler(TokenRoutes::me);
  }

  /** Who the caller is: any valid token may ask (the console decides what to offer from it). */
  private static void me(RoutingContext ctx) {
    Principal principal = new Call(ctx).principal();
    Failures.send(
        ctx,
        200,
        new JsonObject()
            .put("name", principal.name())
            .put("roles", new JsonArray(principal.roles())));
  }

  private Reply create(Call call) {
    JsonObject body = call.body();
    JsonReader in = new JsonReader();
    in.rejectUnknown(body, Set.of("name", "roles", "owner"), "");
    String name = in.string(body, "name", "", true);
    String owner = in.string(body, "owner", "", false);
    List<String> roles = in.strings(body, "roles", "");
    in.throwIfAny();
    if (roles == null) {
      throw Invalid.of("roles", "is required: a list such as [\"operator\"]");
    }
    Tokens.Issued issued = tokens.issue(name, roles, owner, call.principal().name());
    return Reply.created(
        json(issued.token()).put("token", issued.secret()), "/api/v1/tokens/" + name);
  }

  private Reply list(Call call) {
    JsonArray items = new JsonArray();
    tokens.list().forEach(t -> items.add(json(t)));
    return Reply.ok(new JsonObject().put("items", items).put("next", (String) null));
  }

  private Reply delete(Call call) {
    String name = call.name("name");
    tokens.revoke(name, call.principal().name());
    streams.revoked(name);
    return Reply.noContent();
  }

  private static JsonObject json(ApiToken t) {
    return new JsonObject()
        .put("name", t.name())
        .put("roles", new JsonArray(t.roles()))
        .put("owner", t.owner())
        .put("createdBy", t.createdBy())
        .put("createdAt", Instants.format(t.createdAt()))
        .put("lastUsedAt", Instants.format(t.lastUsedAt()));
  }
}
