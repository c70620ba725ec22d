package io.nightshift.bench;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;

/**
 * The baseline of (d): raw Quartz with its JDBC JobStore ({@code JobStoreTX}, {@code
 * StdJDBCDelegate}) on the same MariaDB, in a database of its own whose {@code QRTZ_} tables are
 * dropped and created from the jar's {@code tables_mysql_innodb.sql}. N no-op jobs, each a
 * SimpleTrigger every second aligned to whole seconds (as Nightshift's {@code everySeconds}),
 * record their scheduled and actual fire times in memory; the same window and {@link FireStats}.
 *
 * <p>Configured as STACK.md says a careful Quartz user would: {@code acquireTriggersWithinLock}
 * true (false allows duplicate fires), batch acquisition as large as the thread pool (1 serializes
 * same-second bursts), no fire-ahead window (a batch would fire later triggers early), misfire
 * threshold 60 s with "next with remaining count" as Nightshift uses.
 */
final class QuartzJdbcBench {
  /** What the no-op job saw: job index, scheduled and actual fire time (epoch ms). */
  static final ConcurrentLinkedQueue<long[]> FIRED = new ConcurrentLinkedQueue<>();

  record Result(boolean clustered, int threads, FireStats stats, double createSeconds) {}

  private final Settings settings;
  private final CpuMeter cpu;
  private final boolean clustered;

  QuartzJdbcBench(Settings settings, CpuMeter cpu, boolean clustered) {
    this.settings = settings;
    this.cpu = cpu;
    this.clustered = clustered;
  }

  Result run() throws Exception {
    int n = settings.jobs();
    int d = settings.seconds();
    int threads = settings.quartzThreads();
    createTables();
    FIRED.clear();

    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", "nightshift-bench-quartz");
    p.setProperty("org.quartz.scheduler.instanceId", clustered ? "AUTO" : "bench");
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    p.setProperty("org.quartz.threadPool.threadCount", String.valueOf(threads));
    p.setProperty("org.quartz.scheduler.batchTriggerAcquisitionMaxCount", String.valueOf(threads));
    p.setProperty("org.quartz.scheduler.batchTriggerAcquisitionFireAheadTimeWindow", "0");
    p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
    p.setProperty(
        "org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.StdJDBCDelegate");
    p.setProperty("org.quartz.jobStore.tablePrefix", "QRTZ_");
    p.setProperty("org.quartz.jobStore.dataSource", "bench");
    p.setProperty("org.quartz.jobStore.isClustered", String.valueOf(clustered));
    p.setProperty("org.quartz.jobStore.acquireTriggersWithinLock", "true");
    p.setProperty("org.quartz.jobStore.misfireThreshold", "60000");
    p.setProperty("org.quartz.dataSource.bench.provider", "hikaricp");
    p.setProperty("org.quartz.dataSource.bench.driver", "com.mysql.cj.jdbc.Driver");
    p.setProperty("org.quartz.dataSource.bench.URL", Sql.withDriverOptions(settings.quartzDbUrl()));
    p.setProperty("org.quartz.dataSource.bench.user", settings.dbUser());
    p.setProperty("org.quartz.dataSource.bench.password", settings.dbPassword());
    // Quartz's own advice: at least the thread count plus a few for the scheduler thread.
    p.setProperty("org.quartz.dataSource.bench.maxConnections", String.valueOf(threads + 3));

    Scheduler quartz = new StdSchedulerFactory(p).getScheduler();
    try {
      long createStart = System.nanoTime();
      // The first fire a whole second comfortably after the jobs are stored, as Nightshift's jobs.
      long firstMs = (System.currentTimeMillis() / 1000 + 3) * 1000;
      Map<JobDetail, Set<? extends Trigger>> jobs = new HashMap<>();
      for (int i = 0; i < n; i++) {
        String name = String.format(Locale.ROOT, "bench-fire-%05d", i);
        jobs.put(
            JobBuilder.newJob(NoopJob.class).withIdentity(name).usingJobData("i", i).build(),
            Set.of(
                TriggerBuilder.newTrigger()
                    .withIdentity(name)
                    .startAt(new Date(firstMs))
                    .withSchedule(
                        SimpleScheduleBuilder.simpleSchedule()
                            .withIntervalInMilliseconds(1000)
                            .repeatForever()
                            .withMisfireHandlingInstructionNextWithRemainingCount())
                    .build()));
      }
      quartz.scheduleJobs(jobs, true);
      double createSeconds = (System.nanoTime() - createStart) / 1e9;
      quartz.start();
      System.out.printf(
          Locale.ROOT,
          "    %d jobs stored in %.1f s (one scheduleJobs call); %d threads, batch %d; warm-up"
              + " %d s%n",
          n,
          createSeconds,
          threads,
          threads,
          settings.warmup());

      long startMs =
          Math.max(firstMs, System.currentTimeMillis() + settings.warmup() * 1000L) / 1000 * 1000
              + 1000;
      long endMs = startMs + d * 1000L;
      FiresBench.sleepUntil(startMs);
      CpuMeter.Snapshot cpuStart = cpu.now();
      FiresBench.sleepUntil(endMs);
      System.out.println("    window " + cpu.since(cpuStart));
      awaitWindow(n, endMs, 90_000);
      quartz.shutdown(true);

      List<FireStats.Fire> fires = new ArrayList<>();
      for (long[] f : FIRED) {
        fires.add(new FireStats.Fire(f[0], f[1], f[2], true));
      }
      return new Result(clustered, threads, FireStats.of(n, startMs, d, fires), createSeconds);
    } finally {
      if (!quartz.isShutdown()) {
        quartz.shutdown(false);
      }
      FIRED.clear();
    }
  }

  /** Until every job has fired past the window (triggers fire in order), or the timeout. */
  private static void awaitWindow(int n, long endMs, long timeoutMs) throws InterruptedException {
    while (System.currentTimeMillis() < endMs + timeoutMs) {
      java.util.BitSet past = new java.util.BitSet(n);
      for (long[] f : FIRED) {
        if (f[1] >= endMs) {
          past.set((int) f[0]);
        }
      }
      if (past.cardinality() >= n) {
        return;
      }
      Thread.sleep(500);
    }
  }

  /** Drops and creates the QRTZ_ tables from the script in the Quartz jar. */
  private void createTables() throws Exception {
    String script;
    try (InputStream in =
        Scheduler.class
            .getClassLoader()
            .getResourceAsStream("org/quartz/impl/jdbcjobstore/tables_mysql_innodb.sql")) {
      if (in == null) {
        throw new IllegalStateException("tables_mysql_innodb.sql is not in the Quartz jar");
      }
      script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    StringBuilder sql = new StringBuilder();
    for (String line : script.split("\n")) {
      if (!line.startsWith("#") && !line.startsWith("--")) {
        sql.append(line).append('\n');
      }
    }
    try (Connection c =
        DriverManager.getConnection(
            Sql.withDriverOptions(settings.quartzDbUrl()),
            settings.dbUser(),
            settings.dbPassword())) {
      for (String statement : sql.toString().split(";")) {
        String s = statement.trim();
        if (!s.isEmpty() && !s.equalsIgnoreCase("commit")) {
          Sql.execute(c, s);
        }
      }
    }
  }

  /** Records when it ran; nothing else. */
  public static final class NoopJob implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      long now = System.currentTimeMillis();
      FIRED.add(
          new long[] {
            context.getMergedJobDataMap().getInt("i"), context.getScheduledFireTime().getTime(), now
          });
    }
  }
}
