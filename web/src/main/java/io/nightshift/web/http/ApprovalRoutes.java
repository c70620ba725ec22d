package io.nightshift.web.http;

import io.nightshift.executor.Instants;
import io.nightshift.scheduler.approval.Approval;
import io.nightshift.scheduler.approval.ApprovalRepository;
import io.nightshift.scheduler.approval.ApprovalStatus;
import io.nightshift.scheduler.approval.Approvers;
import io.nightshift.scheduler.auth.Permission;
import io.nightshift.scheduler.auth.Principal;
import io.nightshift.scheduler.auth.Role;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.run.Engine;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.template.JsonReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Pending approvals: what is being approved, and the decision (once). */
public final class ApprovalRoutes {
  private static final int BATCH = 200;

  private final Endpoints endpoints;
  private final ApprovalRepository approvals;
  private final Approvers approvers;
  private final RunRepository runs;
  private final Engine engine;

  public ApprovalRoutes(
      Endpoints endpoints,
      ApprovalRepository approvals,
      Approvers approvers,
      RunRepository runs,
      Engine engine) {
    this.endpoints = endpoints;
    this.approvals = approvals;
    this.approvers = approvers;
    this.runs = runs;
    this.engine = engine;
  }

  public void mount(Router api) {
    api.get("/approvals")
        .handler(
            endpoints.blocking(
                Permission.READ,
                QueryParameters.only("status", "run", "before", "limit"),
                this::list));
    api.get("/approvals/:id")
        .handler(endpoints.blocking(Permission.READ, QueryParameters.none(), this::get));
    api.post("/approvals/:id/approve")
        .handler(endpoints.blocking(Permission.APPROVE, c -> decide(c, true)));
    api.post("/approvals/:id/deny")
        .handler(endpoints.blocking(Permission.APPROVE, c -> decide(c, false)));
  }

  /** An approver sees those they may decide; other readers (and admins) see all. */
  private Reply list(Call call) {
    String status = call.query("status");
    ApprovalStatus parsed = null;
    if (status != null) {
      try {
        parsed = ApprovalStatus.valueOf(status.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw Invalid.of(
            "status",
            "must be one of pending, approved, denied, expired, canceled, got '" + status + "'");
      }
    }
    String run = call.query("run");
    Long runId = run == null ? null : RunRoutes.id("run", run);
    String before = call.query("before");
    Long cursor = before == null ? null : RunRoutes.id("before", before);
    int limit = call.limit();
    Principal who = call.principal();
    boolean onlyMine = who.can(Permission.APPROVE) && !who.has(Role.ADMIN);
    // Filter before counting: an approver's page is filled with approvals they may decide, however
    // many newer ones they may not; one more than asked tells whether a next page exists.
    List<Approval> shown = new ArrayList<>();
    while (shown.size() <= limit) {
      List<Approval> batch = approvals.list(parsed, runId, cursor, BATCH);
      for (Approval a : batch) {
        if ((!onlyMine || approvers.listed(a, who)) && shown.size() <= limit) {
          shown.add(a);
        }
      }
      if (batch.size() < BATCH) {
        break;
      }
      cursor = batch.get(batch.size() - 1).id();
    }
    JsonArray items = new JsonArray();
    shown.stream().limit(limit).forEach(a -> items.add(json(a)));
    String next = shown.size() > limit ? String.valueOf(shown.get(limit - 1).id()) : null;
    return Reply.ok(new JsonObject().put("items", items).put("next", next));
  }

  /** The approval with what it approves: the run, its template version, values, earlier steps. */
  private Reply get(Call call) {
    Approval approval = approvals.get(RunRoutes.id("id", call.pathParam("id")));
    Run run = runs.get(approval.runId());
    return Reply.ok(
        json(approval)
            .put("run", RunJson.full(run))
            .put("mayDecide", approvers.listed(approval, call.principal()))
            .put("mayApprove", approvers.mayApprove(approval, call.principal())));
  }

  private Reply decide(Call call, boolean approve) {
    long id = RunRoutes.id("id", call.pathParam("id"));
    JsonObject body = call.bodyOrEmpty();
    JsonReader in = new JsonReader();
    in.rejectUnknown(body, Set.of("comment"), "");
    String comment = in.string(body, "comment", "", false);
    in.throwIfAny();
    if (comment != null && comment.length() > 2000) {
      throw Invalid.of("comment", "must be at most 2000 characters");
    }
    if (!approve && (comment == null || comment.isBlank())) {
      throw Invalid.of("comment", "is required to deny: say why");
    }
    Approval approval = approvals.get(id);
    if (approval.status() != ApprovalStatus.PENDING) {
      throw new Conflict(
          "approval "
              + id
              + " was already decided: "
              + approval.status()
              + (approval.decidedBy() == null ? "" : " by " + approval.decidedBy()));
    }
    approvers.check(approval, call.principal(), approve);
    return Reply.ok(json(engine.decide(id, call.principal().name(), approve, comment)));
  }

  static JsonObject json(Approval a) {
    return new JsonObject()
        .put("id", a.id())
        .put("runId", a.runId())
        .put("step", a.step())
        .put("status", a.status().name())
        .put("approvers", new JsonArray(a.approvers()))
        .put("message", a.message())
        .put("onTimeout", a.onTimeout())
        .put("requestedBy", a.requestedBy())
        .put("requestedAt", Instants.format(a.requestedAt()))
        .put("expiresAt", Instants.format(a.expiresAt()))
        .put("decidedBy", a.decidedBy())
        .put("decidedAt", Instants.format(a.decidedAt()))
        .put("comment", a.comment())
        .put("requesters", new JsonArray(a.requesters().people()))
        .put("weakenedBy", new JsonArray(a.weakened()));
  }
}
