package io.nightshift.web;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nightshift.executor.Cgroups;
import io.nightshift.executor.HttpExecutor;
import io.nightshift.executor.ProcessExecutor;
import io.nightshift.executor.StepEnvironment;
import io.nightshift.executor.WorkDirs;
import io.nightshift.scheduler.approval.ApprovalRepository;
import io.nightshift.scheduler.auth.TokenRepository;
import io.nightshift.scheduler.health.DatabaseCheck;
import io.nightshift.scheduler.health.ExecutorCheck;
import io.nightshift.scheduler.health.ReadinessCheck;
import io.nightshift.scheduler.health.RedisCheck;
import io.nightshift.scheduler.job.FireRepository;
import io.nightshift.scheduler.job.FireRetention;
import io.nightshift.scheduler.job.Firing;
import io.nightshift.scheduler.job.JobAdmission;
import io.nightshift.scheduler.job.JobRepository;
import io.nightshift.scheduler.job.JobScheduler;
import io.nightshift.scheduler.logs.LogRetention;
import io.nightshift.scheduler.logs.LogSettings;
import io.nightshift.scheduler.logs.LogStore;
import io.nightshift.scheduler.logs.LogStoreCheck;
import io.nightshift.scheduler.node.ClockWatch;
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
import io.nightshift.scheduler.run.RunPurgeRepository;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.RunRetention;
import io.nightshift.scheduler.run.StepLauncher;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.Retention;
import io.nightshift.scheduler.template.TemplateRepository;
import io.nightshift.web.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The working parts of a node, built from the configuration over an open store and wired together:
 * Vert.x with its metrics, the log pipeline, the engine with its executors, webhooks, the job
 * scheduler, the drain, and the readiness checks over them. The HTTP side ({@link ApiServer})
 * serves them; {@link Nightshift} starts and stops them. {@code time}: the node's time, the
 * database server's as it reckons it ({@link io.nightshift.scheduler.node.ClockWatch#databaseTime};
 * its own clock on the embedded store).
 */
record NodeParts(
    PrometheusMeterRegistry registry,
    Vertx vertx,
    Redis redis,
    List<ReadinessCheck> checks,
    TokenRepository tokens,
    LogStore logStore,
    LogPipeline logs,
    RunRepository runs,
    ApprovalRepository approvals,
    TemplateRepository templates,
    JobRepository jobs,
    FireRepository fires,
    WebhookRepository webhookDeliveries,
    Engine engine,
    Notifier notifier,
    ServiceMetrics metrics,
    JobScheduler jobScheduler,
    NodeDrain drain,
    WorkRoot workRoot,
    Clock time) {
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

  /** How often a node on MySQL reads the database server's time. */
  static final Duration CLOCK_READ_EVERY = Duration.ofSeconds(15);

  /**
   * Builds and starts every part (the engine recovers, the job scheduler starts). When a part
   * fails, the ones already built are closed (not the store) and the failure is thrown.
   */
  static NodeParts start(Config config, Clock clock, Database database) {
    ClockWatch clockWatch = null;
    Vertx vertx = null;
    LogPipeline logs = null;
    Engine engine = null;
    JobScheduler jobScheduler = null;
    Notifier notifier = null;
    ServiceMetrics metrics = null;
    WorkRoot workRoot = null;
    try {
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      HttpMetricLabels.bound(registry);
      // The node keeps time by the database server (leases, due times, fires, what it stores),
      // whatever its own clock says; only Quartz hands it fires by its own. Embedded: one clock.
      clockWatch =
          database.embedded()
              ? null
              : new ClockWatch(database.leases(), clock, registry).start(CLOCK_READ_EVERY);
      Clock time = clockWatch == null ? clock : clockWatch.databaseTime();
      vertx =
          Vertx.builder()
              .with(
                  new VertxOptions()
                      .setMetricsOptions(HttpMetricLabels.options())
                      .setFileSystemOptions(VertxFileCache.in(config.dataDir())))
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
      java.util.function.Supplier<java.util.Set<String>> liveNodes = liveNodes(database, time);
      logs = LogPipeline.start(vertx, config, logStore, time, liveNodes);
      checks.add(logs.check());
      checks.add(
          new LogStoreCheck(
              vertx, logStore, Duration.ofMillis(config.logs().readyTimeoutMillis())));
      Cgroups cgroups = Cgroups.detect(config.localName());
      checks.add(new ExecutorCheck(cgroups));
      RunRepository runs = new RunRepository(database.dsl());
      workRoot = WorkRoot.create(config);
      WorkDirs workDirs = workRoot.dirs();
      ApprovalRepository approvals = new ApprovalRepository(database.dsl());
      TemplateRepository templates = new TemplateRepository(database.dsl());
      EngineSettings engineSettings =
          new EngineSettings(
              config.node(),
              workDirs.root(),
              Duration.ofSeconds(config.runs().defaultTimeoutSeconds()),
              config.runs().maxLinesPerStep(),
              config.runs().maxLineLength(),
              Duration.ofSeconds(config.runs().killGraceSeconds()),
              config.stepEndsDir(),
              EngineSettings.KEEP_END_AFTER,
              EngineSettings.WRITE_RETRY_PAUSES);
      DrainingExecutor attempts =
          new DrainingExecutor(
              new StepLauncher(
                  new ProcessExecutor(
                      time,
                      Duration.ofSeconds(config.runs().killGraceSeconds()),
                      StepEnvironment.of(config.executor().passEnv()),
                      cgroups),
                  new HttpExecutor(time),
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
              time,
              new JobAdmission(database.dsl()),
              database.leases());
      if (clockWatch != null) {
        // Every node reads a new time within one period: leases are judged after that. A step
        // back needs no hold: this node's time stands still until the server's catches up.
        Engine stepped = engine;
        clockWatch.onStep(
            step -> {
              if (!step.isNegative()) {
                stepped.clockStepped(CLOCK_READ_EVERY);
              }
            });
      }
      io.micrometer.core.instrument.Gauge.builder(
              "nightshift.step.ends.waiting", engine::stepEndsWaiting)
          .description(
              "steps that ended on this node while the database was unreachable, not recorded yet")
          .register(registry);
      WebhookRepository webhookDeliveries = new WebhookRepository(database.dsl());
      WebhookFanOut webhooks =
          new WebhookFanOut(
              runs, new JobRepository(database.dsl()), time, config.http().publicUrl());
      notifier =
          new Notifier(
              runs,
              webhooks,
              webhookDeliveries,
              new WebhookOutboxRepository(database.dsl()),
              time,
              Duration.ofSeconds(1),
              registry,
              engine.instance(),
              deliveryClaim(config.cluster()),
              leaseSettings(config.cluster()).cancelPollEvery());
      engine.events().addConsumer(webhooks);
      engine.events().afterRelay(notifier::wake);
      if (!config.executor().keepWorkDirs()) {
        workRoot.deleteRunDirsAtRunEnd(logs.bus(), runs);
      }
      metrics =
          new ServiceMetrics(
              registry,
              vertx,
              database.dsl(),
              runs,
              logs.bus(),
              redis,
              LogSettings.defaults(config.node()).stream(),
              clockWatch);
      engine.events().addListener(metrics.runs());
      engine.recover();
      JobRepository jobs = new JobRepository(database.dsl());
      FireRepository fires = new FireRepository(database.dsl());
      int runDays = config.runs().retentionDays();
      HourlyRetention.start(
          vertx,
          new LogRetention(
              logStore,
              new Retention(Duration.ofDays(config.logs().retentionDays()), 10_000, time)),
          new FireRetention(
              fires,
              new Retention(Duration.ofDays(config.logs().fireRetentionDays()), 10_000, time)),
          runDays == 0
              ? null
              : new RunRetention(
                  new RunPurgeRepository(database.dsl()),
                  new Retention(Duration.ofDays(runDays), 100, time)));
      jobScheduler =
          new JobScheduler(
              new Firing(
                  database.dsl(),
                  templates,
                  engine,
                  config.node(),
                  engine.instance(),
                  clock,
                  time,
                  registry),
              jobs,
              fires,
              config.node(),
              clock,
              othersLive(liveNodes, config.node()));
      jobScheduler.start();
      NodeDrain drain =
          new NodeDrain(
              config.node(),
              attempts,
              jobScheduler,
              engine,
              Duration.ofSeconds(config.shutdown().graceSeconds()),
              Duration.ofSeconds(config.runs().killGraceSeconds()),
              time);
      checks.add(drain);
      JobChangeFollower.start(vertx, logs, jobScheduler);
      return new NodeParts(
          registry,
          vertx,
          redis,
          checks,
          tokenRepository,
          logStore,
          logs,
          runs,
          approvals,
          templates,
          jobs,
          fires,
          webhookDeliveries,
          engine,
          notifier,
          metrics,
          jobScheduler,
          drain,
          workRoot,
          time);
    } catch (Exception e) {
      // Exception, not RuntimeException: Future.await() rethrows a checked exception as is.
      closeAfterFailedStart(jobScheduler, notifier, metrics, engine, logs, vertx, workRoot);
      if (metrics == null && clockWatch != null) {
        clockWatch.close(); // else the metrics close it
      }
      throw e;
    }
  }

  /** Closes every part after a start that failed later (Vert.x not awaited). */
  void closeAfterFailedStart() {
    closeAfterFailedStart(jobScheduler, notifier, metrics, engine, logs, vertx, workRoot);
  }

  /**
   * Whether an instance of another node holds a live lease on the store (asked). This node's own
   * earlier instances do not count: after a kill -9 their lease outlives them, and they claim
   * nothing any more.
   */
  private static java.util.function.BooleanSupplier othersLive(
      java.util.function.Supplier<java.util.Set<String>> liveNodes, String node) {
    return () -> liveNodes.get().stream().anyMatch(name -> !name.equals(node));
  }

  /** The names of the nodes holding a live lease on the store (asked). */
  private static java.util.function.Supplier<java.util.Set<String>> liveNodes(
      Database database, Clock clock) {
    NodeLeaseRepository leases = new NodeLeaseRepository(database.leases());
    return () ->
        leases.live(clock.instant()).stream()
            .map(NodeLeaseRepository.NodeLease::node)
            .collect(java.util.stream.Collectors.toSet());
  }

  private static void closeAfterFailedStart(
      JobScheduler jobScheduler,
      Notifier notifier,
      ServiceMetrics metrics,
      Engine engine,
      LogPipeline logs,
      Vertx vertx,
      WorkRoot workRoot) {
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
    if (workRoot != null) {
      workRoot.close();
    }
    if (logs != null) {
      logs.close();
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  /** Closes every part in order, once the HTTP server no longer takes requests. */
  void close() {
    jobScheduler.close();
    engine.close();
    notifier.close();
    metrics.close();
    workRoot.close();
    logs.close();
    if (redis != null) {
      redis.close();
    }
    vertx.close().await();
  }
}
