package io.nightshift.web;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nightshift.executor.Cgroups;
import io.nightshift.executor.HttpExecutor;
import io.nightshift.executor.ProcessExecutor;
import io.nightshift.executor.StepEnvironment;
import io.nightshift.executor.WorkDirs;
import io.nightshift.scheduler.approval.ApprovalRepository;
import io.nightshift.scheduler.approval.Approvers;
import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.auth.AdminToken;
import io.nightshift.scheduler.auth.TokenRepository;
import io.nightshift.scheduler.auth.Tokens;
import io.nightshift.scheduler.health.DatabaseCheck;
import io.nightshift.scheduler.health.ExecutorCheck;
import io.nightshift.scheduler.health.ReadinessCheck;
import io.nightshift.scheduler.health.RedisCheck;
import io.nightshift.scheduler.job.FireRepository;
import io.nightshift.scheduler.job.Firing;
import io.nightshift.scheduler.job.JobAdmission;
import io.nightshift.scheduler.job.JobRepository;
import io.nightshift.scheduler.job.JobScheduler;
import io.nightshift.scheduler.logs.LogRetention;
import io.nightshift.scheduler.logs.LogSettings;
import io.nightshift.scheduler.logs.LogStore;
import io.nightshift.scheduler.logs.LogStoreCheck;
import io.nightshift.scheduler.node.NodeDrain;
import io.nightshift.scheduler.notify.Notifier;
import io.nightshift.scheduler.notify.WebhookFanOut;
import io.nightshift.scheduler.notify.WebhookOutboxRepository;
import io.nightshift.scheduler.notify.WebhookRepository;
import io.nightshift.scheduler.run.DrainingExecutor;
import io.nightshift.scheduler.run.Engine;
import io.nightshift.scheduler.run.EngineSettings;
import io.nightshift.scheduler.run.LeaseSettings;
import io.nightshift.scheduler.run.NodeLeaseRepository;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.StepLauncher;
import io.nightshift.scheduler.run.WorkDirCleanup;
import io.nightshift.scheduler.secrets.SecretsRepository;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.template.TemplateRepository;
import io.nightshift.web.config.Config;
import io.nightshift.web.config.ConfigLoader;
import io.nightshift.web.http.AccessLog;
import io.nightshift.web.http.ApiDocRoutes;
import io.nightshift.web.http.ApprovalRoutes;
import io.nightshift.web.http.AuditRoutes;
import io.nightshift.web.http.Authentication;
import io.nightshift.web.http.ConnectionGuard;
import io.nightshift.web.http.ConsoleRoutes;
import io.nightshift.web.http.Endpoints;
import io.nightshift.web.http.Failures;
import io.nightshift.web.http.HealthRoutes;
import io.nightshift.web.http.JobRoutes;
import io.nightshift.web.http.JsonBodies;
import io.nightshift.web.http.LogRoutes;
import io.nightshift.web.http.NodeRoutes;
import io.nightshift.web.http.OpenStreams;
import io.nightshift.web.http.RunRoutes;
import io.nightshift.web.http.TemplateRoutes;
import io.nightshift.web.http.TokenRoutes;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The composition root: builds every part from the configuration, starts it, and stops it. */
public final class Nightshift implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Nightshift.class);

  /**
   * Event loops serving HTTP: all of Vert.x's (twice the cores), so that log streams and API
   * requests are spread over them ({@link HttpListeners}).
   */
  static final int HTTP_LOOPS = VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE;

  private final Config config;
  private final Database database;
  private final Vertx vertx;
  private final Redis redis;
  private final LogPipeline logs;
  private final Engine engine;
  private final JobScheduler jobScheduler;
  private final Notifier notifier;
  private final ServiceMetrics metrics;
  private final HttpListeners server;
  private final String adminTokenNotice;
  private final List<String> routes;
  private final OpenStreams streams;
  private final NodeDrain drain;

  private NodeName nodeName;

  private Nightshift(
      Config config,
      Database database,
      Vertx vertx,
      Redis redis,
      LogPipeline logs,
      Engine engine,
      JobScheduler jobScheduler,
      Notifier notifier,
      ServiceMetrics metrics,
      HttpListeners server,
      String adminTokenNotice,
      List<String> routes,
      OpenStreams streams,
      NodeDrain drain) {
    this.drain = drain;
    this.metrics = metrics;
    this.config = config;
    this.database = database;
    this.vertx = vertx;
    this.redis = redis;
    this.logs = logs;
    this.engine = engine;
    this.jobScheduler = jobScheduler;
    this.notifier = notifier;
    this.server = server;
    this.adminTokenNotice = adminTokenNotice;
    this.routes = routes;
    this.streams = streams;
  }

  static LeaseSettings leaseSettings(Config.Cluster cluster) {
    return new LeaseSettings(
        Duration.ofSeconds(cluster.leaseRenewSeconds()),
        Duration.ofSeconds(cluster.leaseExpirySeconds()),
        Duration.ofSeconds(cluster.sweepSeconds()),
        Duration.ofMillis(cluster.cancelPollMillis()),
        Duration.ofSeconds(cluster.stallGraceSeconds()));
  }

  /**
   * How long a node holds a webhook delivery it sends: twice the attempt lease expiry (60 s by
   * default), never under 20 s (a send may take 15 s: 5 s to connect, 10 s for the answer). A
   * delivery a crashed node held is sent again by any node once this runs out.
   */
  static Duration deliveryClaim(Config.Cluster cluster) {
    return Duration.ofSeconds(Math.max(20, 2L * cluster.leaseExpirySeconds()));
  }

  /**
   * Starts everything; blocks until the HTTP port is bound. Call from a non-Vert.x thread. Without
   * a configured {@code node}, the node is named {@code <host>-<id>} with an id kept in the data
   * directory ({@link NodeName}).
   */
  public static Nightshift start(Config config, Clock clock) {
    ListenAddress.of(config.http()).ensureFree();
    if (config.node() != null) {
      return startNamed(config, clock);
    }
    DataDir.secure(config.dataDir());
    NodeName name = NodeName.claim(config.dataDir(), ConfigLoader.host());
    try {
      Nightshift nightshift = startNamed(config.withNode(name.name()), clock);
      nightshift.nodeName = name;
      return nightshift;
    } catch (RuntimeException e) {
      name.close();
      throw e;
    }
  }

  private static Nightshift startNamed(Config config, Clock clock) {
    DataDir.secure(config.dataDir());
    SecretKeys secretKeys =
        SecretKeys.resolve(config.secrets(), config.dataDir(), config.db().embedded());
    Database database;
    try {
      database = Database.open(config.db());
    } catch (RuntimeException e) {
      throw StartupFailure.openingStore(config.db().url(), e);
    }
    secretKeys.cipher().attach(database.dsl());
    DataDir.secure(config.dataDir());
    Vertx vertx = null;
    LogPipeline logs = null;
    Engine engine = null;
    JobScheduler jobScheduler = null;
    Notifier notifier = null;
    ServiceMetrics metrics = null;
    NodeDrain drain = null;
    try {
      SecretsRepository storedSecrets = new SecretsRepository(database.dsl());
      secretKeys.check(storedSecrets);
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      HttpMetricLabels.bound(registry);
      vertx =
          Vertx.builder()
              .with(new VertxOptions().setMetricsOptions(HttpMetricLabels.options()))
              .withMetrics(new MicrometerMetricsFactory(registry))
              .build();
      TokenRepository tokenRepository = new TokenRepository(database.dsl());

      List<ReadinessCheck> checks = new ArrayList<>();
      checks.add(new DatabaseCheck(vertx, database));
      Redis redis = null;
      if (config.redis().enabled()) {
        redis =
            Redis.createClient(vertx, new RedisOptions().setConnectionString(config.redis().url()));
        checks.add(new RedisCheck(redis));
      }
      LogStore logStore = new LogStore(database.dsl());
      logs = LogPipeline.start(vertx, config, logStore, clock);
      checks.add(logs.check());
      checks.add(
          new LogStoreCheck(
              vertx, logStore, Duration.ofMillis(config.logs().readyTimeoutMillis())));
      Cgroups cgroups = Cgroups.detect(config.node());
      checks.add(new ExecutorCheck(cgroups));
      RunRepository runs = new RunRepository(database.dsl());
      WorkDirs workDirs = new WorkDirs(config.executor().workDirOf(config.node()));
      try {
        WorkDirs.ownerOnly(workDirs.root());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(
            "cannot create the work directory " + workDirs.root(), e);
      }
      ApprovalRepository approvals = new ApprovalRepository(database.dsl());
      TemplateRepository templates = new TemplateRepository(database.dsl());
      EngineSettings engineSettings =
          new EngineSettings(
              config.node(),
              workDirs.root(),
              Duration.ofSeconds(config.runs().defaultTimeoutSeconds()),
              config.runs().maxLinesPerStep(),
              config.runs().maxLineLength(),
              Duration.ofSeconds(config.runs().killGraceSeconds()));
      DrainingExecutor attempts =
          new DrainingExecutor(
              new StepLauncher(
                  new ProcessExecutor(
                      clock,
                      Duration.ofSeconds(config.runs().killGraceSeconds()),
                      StepEnvironment.of(config.executor().passEnv()),
                      cgroups),
                  new HttpExecutor(clock),
                  engineSettings));
      engine =
          new Engine(
              runs,
              approvals,
              new NodeLeaseRepository(database.leases()),
              database.dsl(),
              logs.bus(),
              attempts,
              engineSettings,
              leaseSettings(config.cluster()),
              clock,
              new JobAdmission(database.dsl()),
              database.leases());
      WebhookRepository webhookDeliveries = new WebhookRepository(database.dsl());
      WebhookFanOut webhooks =
          new WebhookFanOut(
              runs, new JobRepository(database.dsl()), clock, config.http().publicUrl());
      notifier =
          new Notifier(
              runs,
              webhooks,
              webhookDeliveries,
              new WebhookOutboxRepository(database.dsl()),
              clock,
              Duration.ofSeconds(1),
              registry,
              engine.instance(),
              deliveryClaim(config.cluster()),
              leaseSettings(config.cluster()).cancelPollEvery());
      engine.events().addConsumer(webhooks);
      engine.events().afterRelay(notifier::wake);
      if (!config.executor().keepWorkDirs()) {
        new WorkDirCleanup(workDirs, logs.bus());
      }
      metrics =
          new ServiceMetrics(
              registry,
              vertx,
              database.dsl(),
              runs,
              logs.bus(),
              redis,
              LogSettings.defaults(config.node()).stream());
      engine.events().addListener(metrics.runs());
      engine.recover();
      LogRetention retention =
          new LogRetention(logStore, Duration.ofDays(config.logs().retentionDays()), 10_000, clock);
      purgeHourly(vertx, retention);
      JobRepository jobs = new JobRepository(database.dsl());
      FireRepository fires = new FireRepository(database.dsl());
      jobScheduler =
          new JobScheduler(
              new Firing(database.dsl(), templates, engine, config.node(), clock, registry),
              jobs,
              fires,
              config.node(),
              clock);
      jobScheduler.start();
      drain =
          new NodeDrain(
              config.node(),
              attempts,
              jobScheduler,
              engine,
              Duration.ofSeconds(config.shutdown().graceSeconds()),
              Duration.ofSeconds(config.runs().killGraceSeconds()),
              clock);
      checks.add(drain);
      followJobChanges(vertx, logs, jobScheduler);

      Router router = Router.router(vertx);
      router.route().handler(new AccessLog());
      new HealthRoutes(checks, registry).mount(router);
      new ApiDocRoutes().mount(router);
      new ConsoleRoutes().mount(router);

      Router api = Router.router(vertx);
      api.route().handler(new JsonBodies());
      api.route().handler(BodyHandler.create(false).setBodyLimit(config.http().maxBodyBytes()));
      api.route().handler(new Authentication(vertx, new Tokens(tokenRepository, clock)));
      Endpoints endpoints = new Endpoints(vertx);
      NodeRoutes nodeRoutes =
          new NodeRoutes(endpoints, drain, new NodeLeaseRepository(database.dsl()), clock);
      api.route().handler(nodeRoutes.runStartGate());
      nodeRoutes.mount(api);
      new TemplateRoutes(endpoints, templates, clock).mount(api);
      new RunRoutes(endpoints, templates, runs, engine, webhookDeliveries).mount(api);
      OpenStreams streams =
          new OpenStreams(
              config.http().streamsPerToken(),
              config.http().streamClientBytes(),
              config.http().streamTotalBytes());
      new LogRoutes(vertx, endpoints, runs, logStore, logs.bus(), streams).mount(api);
      new ApprovalRoutes(
              endpoints, approvals, new Approvers(config.auth().allowSelfApproval()), runs, engine)
          .mount(api);
      new JobRoutes(endpoints, jobs, fires, templates, jobScheduler, engine, logs.bus(), clock)
          .mount(api);
      new TokenRoutes(endpoints, new Tokens(tokenRepository, clock), streams).mount(api);
      new AuditRoutes(endpoints, new AuditLog(database.dsl())).mount(api);
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
              .listen(vertx, connectionGuard(config.http()), router, HTTP_LOOPS);
      secretKeys.persist();
      log.info("{}", secretKeys.describe());
      secretKeys.resealInBackground(storedSecrets);
      // Written only once the node can serve: a start-up that fails leaves no token file.
      String notice =
          AdminToken.ensure(
              tokenRepository,
              config.auth().adminToken(),
              config.dataDir(),
              config.db().url(),
              clock);
      log.info(
          "nightshift node {} listening on http://{}:{} (store: {}, log bus: {})",
          config.node(),
          config.http().host(),
          server.actualPort(),
          database.embedded() ? "embedded H2" : "MySQL",
          config.redis().enabled() ? "Redis" : "in-process");
      return new Nightshift(
          config,
          database,
          vertx,
          redis,
          logs,
          engine,
          jobScheduler,
          notifier,
          metrics,
          server,
          notice,
          routes(router, "", api, "/api/v1"),
          streams,
          drain);
    } catch (Exception e) {
      // Exception, not RuntimeException: Future.await() rethrows a checked BindException as is.
      if (jobScheduler != null) {
        jobScheduler.close();
      }
      if (notifier != null) {
        notifier.close();
      }
      if (metrics != null) {
        metrics.close();
      }
      if (engine != null) {
        engine.close();
      }
      if (logs != null) {
        logs.close();
      }
      if (vertx != null) {
        vertx.close();
      }
      database.close();
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
    }
  }

  /** The store, or a one-line failure naming it (its URL without a password) and why. */
  static ConnectionGuard connectionGuard(Config.Http http) {
    return new ConnectionGuard(
        Duration.ofSeconds(http.headerTimeoutSeconds()),
        Duration.ofSeconds(http.bodyTimeoutSeconds()),
        Duration.ofSeconds(http.idleTimeoutSeconds()),
        http.maxConnections());
  }

  /**
   * Job changes reach this node as events (from any node) and, as a safety net, through a reconcile
   * from the database every 10 seconds.
   */
  private static void followJobChanges(Vertx vertx, LogPipeline logs, JobScheduler scheduler) {
    logs.bus()
        .followEvents(
            event -> {
              if ("job".equals(event.getString("type")) && event.getString("job") != null) {
                String name = event.getString("job");
                vertx
                    .executeBlocking(
                        () -> {
                          scheduler.sync(name);
                          return null;
                        },
                        false)
                    .onFailure(e -> log.warn("cannot reschedule job {}", name, e));
              }
            });
    vertx.setPeriodic(
        10_000,
        id ->
            vertx
                .executeBlocking(
                    () -> {
                      scheduler.reconcile();
                      return null;
                    },
                    false)
                .onFailure(e -> log.warn("job reconcile failed", e)));
  }

  /** Deletes old runs' log lines every hour, on a worker thread. */
  private static void purgeHourly(Vertx vertx, LogRetention retention) {
    vertx.setPeriodic(
        60_000,
        Duration.ofHours(1).toMillis(),
        id ->
            vertx
                .executeBlocking(retention::purge, false)
                .onFailure(e -> log.warn("log retention failed; next try in an hour", e)));
  }

  /**
   * Every route with a method, as {@code "GET /api/v1/runs/{id}"}, to compare with the OpenAPI
   * document.
   */
  List<String> routes() {
    return routes;
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

  public int port() {
    return server.actualPort();
  }

  public String adminTokenNotice() {
    return adminTokenNotice;
  }

  public Engine engine() {
    return engine;
  }

  public JobScheduler jobScheduler() {
    return jobScheduler;
  }

  /** The live log streams open on this node. */
  public OpenStreams streams() {
    return streams;
  }

  public LogPipeline logs() {
    return logs;
  }

  public Database database() {
    return database;
  }

  public Config config() {
    return config;
  }

  /**
   * Stops taking new work and waits until the steps executing here finished, or were stopped after
   * {@code shutdown.graceSeconds} (SIGTERM calls this before {@link #close}).
   */
  public void drain() {
    drain.drainAndWait();
  }

  /** This node's drain (its state, or to begin one). */
  public NodeDrain draining() {
    return drain;
  }

  /** Stops taking requests, lets the ones in flight finish, then closes the pools. */
  @Override
  public void close() {
    log.info("nightshift node {} stopping", config.node());
    try {
      server.shutdown().await();
    } catch (RuntimeException e) {
      log.warn("http server did not shut down cleanly", e);
    }
    jobScheduler.close();
    engine.close();
    notifier.close();
    metrics.close();
    logs.close();
    if (redis != null) {
      redis.close();
    }
    vertx.close().await();
    database.close();
    if (nodeName != null) {
      nodeName.close();
    }
    log.info("nightshift node {} stopped", config.node());
  }
}
