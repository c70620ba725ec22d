package io.nightshift.web.http;

import io.nightshift.scheduler.auth.Permission;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.node.NodeDrain;
import io.nightshift.scheduler.run.NodeLeaseRepository;
import io.vertx.ext.web.Router;
import java.time.Clock;

/**
 * {@code GET /nodes} (every role): the live node instances of the cluster, with the step attempts
 * each holds. {@code POST /nodes/{name}/drain} (admins): this node stops taking new work and
 * drains. A drain is sent to the node itself: another live node's name is 409 (the answer says to
 * send it there), a name no live node has is 404. While draining, requests that would start a run
 * here are 503 ({@link NodeDrain#admit}), except a resent one, answered with its run.
 */
public final class NodeRoutes {
  private final Endpoints endpoints;
  private final NodeDrain drain;
  private final NodeLeaseRepository nodes;
  private final java.util.function.Supplier<String> ownInstance;
  private final Clock clock;

  /**
   * {@code ownInstance}: this node instance's id in the node leases; {@code clock}: the node's
   * time, in which they are kept (the database server's, as the node reckons it).
   */
  public NodeRoutes(
      Endpoints endpoints,
      NodeDrain drain,
      NodeLeaseRepository nodes,
      java.util.function.Supplier<String> ownInstance,
      Clock clock) {
    this.endpoints = endpoints;
    this.drain = drain;
    this.nodes = nodes;
    this.ownInstance = ownInstance;
    this.clock = clock;
  }

  public void mount(Router api) {
    api.get("/nodes")
        .handler(endpoints.blocking(Permission.READ, QueryParameters.none(), this::list));
    api.post("/nodes/:name/drain")
        .handler(endpoints.blocking(Permission.ADMINISTER, NoBody.CHECK, this::drain));
  }

  private Reply list(Call call) {
    io.vertx.core.json.JsonArray items = new io.vertx.core.json.JsonArray();
    String self = ownInstance.get();
    for (NodeLeaseRepository.LiveNode n : nodes.liveNodes(clock.instant())) {
      boolean isSelf = n.instance().equals(self);
      // This node's drain is known here at once; another's from its lease's last renewal.
      java.time.Instant since = isSelf ? drain.since() : n.drainingSince();
      items.add(
          new io.vertx.core.json.JsonObject()
              .put("name", n.node())
              .put("instance", n.instance())
              .put("host", n.host())
              .put("pid", n.pid())
              .put("startedAt", n.startedAt().toString())
              .put("leaseUntil", n.until().toString())
              .put("runningSteps", n.runningSteps())
              .put("self", isSelf)
              .put(
                  "state",
                  isSelf
                      ? drain.state().getString("state")
                      : n.drainingSince() == null ? "serving" : "draining")
              .put("drainingSince", since == null ? null : since.toString()));
    }
    return Reply.ok(
        new io.vertx.core.json.JsonObject().put("items", items).put("next", (String) null));
  }

  private Reply drain(Call call) {
    String name = call.pathParam("name");
    if (name.equals(drain.node())) {
      drain.begin();
      return Reply.accepted(drain.state());
    }
    boolean live = nodes.live(clock.instant()).stream().anyMatch(n -> n.node().equals(name));
    if (live) {
      throw new Conflict(
          "node '"
              + name
              + "' is another node: send the drain to that node's own address (this is node '"
              + drain.node()
              + "')");
    }
    throw new NotFound("running node", name);
  }
}
