package io.nightshift.web.http;

import io.nightshift.executor.Instants;
import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.auth.Permission;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/** The audit trail, newest first, for admins. */
public final class AuditRoutes {
  private final Endpoints endpoints;
  private final AuditLog audit;

  public AuditRoutes(Endpoints endpoints, AuditLog audit) {
    this.endpoints = endpoints;
    this.audit = audit;
  }

  public void mount(Router api) {
    api.get("/audit")
        .handler(
            endpoints.blocking(
                Permission.ADMINISTER,
                QueryParameters.only("kind", "target", "action", "before", "limit"),
                this::list));
  }

  private Reply list(Call call) {
    JsonArray items = new JsonArray();
    String before = call.query("before");
    var page =
        audit.page(
            call.query("kind"),
            call.query("target"),
            call.queryValues("action"),
            before == null ? null : RunRoutes.id("before", before),
            call.limit());
    page.items()
        .forEach(
            e ->
                items.add(
                    new JsonObject()
                        .put("id", e.id())
                        .put("at", Instants.format(e.at()))
                        .put("actor", e.actor())
                        .put("action", e.action())
                        .put("targetKind", e.targetKind())
                        .put("target", e.target())
                        .put("detail", e.detail())));
    return Reply.ok(new JsonObject().put("items", items).put("next", page.next()));
  }
}
