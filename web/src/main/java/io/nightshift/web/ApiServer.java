package io.nightshift.web;

import io.nightshift.scheduler.approval.Approvers;
import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.auth.Tokens;
import io.nightshift.scheduler.run.NodeLeaseRepository;
import io.nightshift.scheduler.run.RequestedRuns;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.EmbeddedBackup;
import io.nightshift.web.config.Config;
import io.nightshift.web.http.AccessLog;
import io.nightshift.web.http.ApiDocRoutes;
import io.nightshift.web.http.ApprovalRoutes;
import io.nightshift.web.http.AuditRoutes;
import io.nightshift.web.http.Authentication;
import io.nightshift.web.http.BackupRoutes;
import io.nightshift.web.http.ConnectionGuard;
import io.nightshift.web.http.ConsoleRoutes;
import io.nightshift.web.http.Endpoints;
import io.nightshift.web.http.Failures;
import io.nightshift.web.http.HeadRequests;
import io.nightshift.web.http.HealthRoutes;
import io.nightshift.web.http.JobRoutes;
import io.nightshift.web.http.JsonBodies;
import io.nightshift.web.http.LogRoutes;
import io.nightshift.web.http.NodeRoutes;
import io.nightshift.web.http.OpenStreams;
import io.nightshift.web.http.RunRoutes;
import io.nightshift.web.http.TemplateRoutes;
import io.nightshift.web.http.TokenRoutes;
import io.vertx.core.VertxOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP side of a node: the root router (health, API document, console) and the {@code /api/v1}
 * router with its body, authentication and run-start handlers and every resource's routes, one
 * failure handler for both, and the servers listening on the configured address.
 */
final class ApiServer {
  /**
   * Event loops serving HTTP: all of Vert.x's (twice the cores), so that log streams and API
   * requests are spread over them ({@link HttpListeners}).
   */
  static final int HTTP_LOOPS = VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE;

  private final HttpListeners server;
  private final List<String> routes;
  private final OpenStreams streams;

  private ApiServer(HttpListeners server, List<String> routes, OpenStreams streams) {
    this.server = server;
    this.routes = routes;
    this.streams = streams;
  }

  /** Mounts every route over the node's parts and listens; blocks until the port is bound. */
  static ApiServer listen(Config config, Clock clock, Database database, NodeParts parts) {
    Router router = Router.router(parts.vertx());
    router.route().handler(new HeadRequests());
    router.route().handler(new AccessLog());
    new HealthRoutes(parts.checks(), parts.registry()).mount(router);
    new ApiDocRoutes().mount(router);
    new ConsoleRoutes().mount(router);

    Router api = Router.router(parts.vertx());
    api.route().handler(new JsonBodies());
    api.route().handler(BodyHandler.create(false).setBodyLimit(config.http().maxBodyBytes()));
    api.route().handler(new Authentication(parts.vertx(), new Tokens(parts.tokens(), clock)));
    Endpoints endpoints = new Endpoints(parts.vertx());
    NodeRoutes nodeRoutes =
        new NodeRoutes(
            endpoints,
            parts.drain(),
            new NodeLeaseRepository(database.dsl()),
            parts.engine()::instance,
            clock);
    nodeRoutes.mount(api);
    new TemplateRoutes(endpoints, parts.templates(), parts.jobs(), clock).mount(api);
    RequestedRuns requested =
        new RequestedRuns(parts.engine(), parts.runs(), database.dsl(), parts.drain());
    new RunRoutes(
            endpoints,
            parts.templates(),
            parts.runs(),
            parts.engine(),
            requested,
            parts.webhookDeliveries())
        .mount(api);
    OpenStreams streams =
        new OpenStreams(
            config.http().streamsPerToken(),
            config.http().streamClientBytes(),
            config.http().streamTotalBytes());
    new LogRoutes(
            parts.vertx(), endpoints, parts.runs(), parts.logStore(), parts.logs().bus(), streams)
        .mount(api);
    new ApprovalRoutes(
            endpoints,
            parts.approvals(),
            new Approvers(config.auth().allowSelfApproval()),
            parts.runs(),
            parts.engine())
        .mount(api);
    new JobRoutes(
            endpoints,
            parts.jobs(),
            parts.fires(),
            parts.templates(),
            parts.jobScheduler(),
            requested,
            parts.engine(),
            parts.logs().bus(),
            parts.webhookDeliveries(),
            clock)
        .mount(api);
    new TokenRoutes(endpoints, new Tokens(parts.tokens(), clock), streams).mount(api);
    new AuditRoutes(endpoints, new AuditLog(database.dsl())).mount(api);
    new BackupRoutes(
            endpoints,
            database.embedded()
                ? new EmbeddedBackup(database.dsl(), config.dataDir().resolve("backups"))
                : null,
            clock)
        .mount(api);
    router.route("/api/v1/*").subRouter(api);

    Failures failures = new Failures();
    router.route().failureHandler(failures);
    api.route().failureHandler(failures);
    for (int status : new int[] {404, 405}) {
      router.errorHandler(status, failures.forStatus(status));
      api.errorHandler(status, failures.forStatus(status));
    }

    HttpListeners server =
        ListenAddress.of(config.http())
            .listen(parts.vertx(), connectionGuard(config.http()), router, HTTP_LOOPS);
    return new ApiServer(server, routes(router, "", api, "/api/v1"), streams);
  }

  /** The limits on connections: header, body and idle timeouts, and how many at once. */
  static ConnectionGuard connectionGuard(Config.Http http) {
    return new ConnectionGuard(
        Duration.ofSeconds(http.headerTimeoutSeconds()),
        Duration.ofSeconds(http.bodyTimeoutSeconds()),
        Duration.ofSeconds(http.idleTimeoutSeconds()),
        http.maxConnections());
  }

  private static List<String> routes(Router root, String rootPrefix, Router api, String apiPrefix) {
    List<String> out = new ArrayList<>();
    for (Router r : List.of(root, api)) {
      String prefix = r == root ? rootPrefix : apiPrefix;
      for (io.vertx.ext.web.Route route : r.getRoutes()) {
        if (route.getPath() == null || route.methods() == null || route.methods().isEmpty()) {
          continue;
        }
        String path = prefix + route.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}");
        route.methods().forEach(m -> out.add(m.name() + " " + path));
      }
    }
    return List.copyOf(out);
  }

  HttpListeners server() {
    return server;
  }

  /** Every route with a method, as {@code "GET /api/v1/runs/{id}"}. */
  List<String> routes() {
    return routes;
  }

  /** The live log streams open on this node. */
  OpenStreams streams() {
    return streams;
  }
}
