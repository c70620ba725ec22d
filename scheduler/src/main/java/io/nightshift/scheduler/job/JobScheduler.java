package io.nightshift.scheduler.job;

import io.nightshift.scheduler.run.Trigger;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TimeZone;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.quartz.CronScheduleBuilder;
import org.quartz.JobBuilder;
import org.quartz.JobDataMap;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.listeners.TriggerListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's Quartz, in memory ({@code RAMJobStore}): it only computes WHEN jobs fire, from the
 * definitions in the database. Every node fires every trigger; {@link Firing} lets one claim each
 * fire. Quartz threads only hand the fire to the {@link FireQueue}, whose thread claims fires in
 * batches and hands their runs to the engine.
 */
public final class JobScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(JobScheduler.class);

  /** Fires older than this at start are missed; younger ones a live node is still claiming. */
  static final Duration MISFIRE_TOLERANCE = Duration.ofSeconds(10);

  static final int MAX_COUNTED_MISSES = 100_000;

  private final Scheduler quartz;
  private final Firing firing;
  private final FireQueue queue;
  private final JobRepository jobs;
  private final FireRepository fires;
  private final Clock clock;
  private final java.util.function.BooleanSupplier othersLive;
  private final Map<String, Integer> scheduled = new ConcurrentHashMap<>();
  private final MissedFires missed;

  /**
   * @param othersLive whether another node instance is live now (it may be claiming fires): asked
   *     once at {@link #start}
   */
  public JobScheduler(
      Firing firing,
      JobRepository jobs,
      FireRepository fires,
      String node,
      Clock clock,
      java.util.function.BooleanSupplier othersLive) {
    this(firing, jobs, fires, node, clock, othersLive, MISFIRE_TOLERANCE);
  }

  /** Like the public constructor, looking at a start's last fires {@code tolerance} later. */
  JobScheduler(
      Firing firing,
      JobRepository jobs,
      FireRepository fires,
      String node,
      Clock clock,
      java.util.function.BooleanSupplier othersLive,
      Duration tolerance) {
    this.queue = new FireQueue(firing);
    this.missed = new MissedFires(firing, jobs, fires, clock, tolerance);
    this.othersLive = othersLive;
    this.firing = firing;
    this.jobs = jobs;
    this.fires = fires;
    this.clock = clock;
    Properties p = new Properties();
    p.setProperty(
        "org.quartz.scheduler.instanceName", "nightshift-" + node + "-" + UUID.randomUUID());
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    // A Quartz thread only hands the fire to the queue, and Quartz takes at most as many due
    // triggers per pass as it has free threads: 40 threads fire 500 jobs of one second in 13
    // passes instead of 63.
    p.setProperty("org.quartz.threadPool.threadCount", "40");
    p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    p.setProperty("org.quartz.jobStore.misfireThreshold", "60000");
    p.setProperty("org.quartz.scheduler.batchTriggerAcquisitionMaxCount", "500");
    p.setProperty("org.quartz.scheduler.batchTriggerAcquisitionFireAheadTimeWindow", "0");
    try {
      quartz = new StdSchedulerFactory(p).getScheduler();
      quartz.setJobFactory((bundle, s) -> this::execute);
      quartz
          .getListenerManager()
          .addTriggerListener(
              new TriggerListenerSupport() {
                public String getName() {
                  return "nightshift-misfires";
                }

                public void triggerMisfired(org.quartz.Trigger trigger) {
                  misfired(trigger);
                }
              });
    } catch (SchedulerException e) {
      throw new IllegalStateException("cannot create the Quartz scheduler", e);
    }
  }

  /** Applies the misfire policy to every enabled job, schedules them all, and starts firing. */
  public void start() {
    boolean alone = !othersLive();
    for (StoredJob job : jobs.all()) {
      safely(
          job.name(),
          () -> {
            // One time for both: a fire due between the catch-up's end and the schedule's start
            // (a slow start) was neither missed nor fired.
            Instant now = clock.instant();
            missed.atStart(job, alone, now);
            schedule(job, now);
          });
    }
    try {
      quartz.start();
    } catch (SchedulerException e) {
      throw new IllegalStateException("cannot start the Quartz scheduler", e);
    }
  }

  /** Re-reads one job from the database (it changed here or on another node). */
  public void sync(String name) {
    Optional<StoredJob> job = jobs.find(name);
    if (job.isEmpty()) {
      unschedule(name);
      firing.forget(name);
    } else {
      schedule(job.get());
    }
  }

  /**
   * A resumed job: fires held back while paused follow its misfire policy, then it is scheduled.
   */
  public void resumed(StoredJob job) {
    safely(job.name(), () -> missed.afterPause(job));
    schedule(job);
  }

  /** Brings every job in line with the database; a missed change event costs at most one period. */
  public void reconcile() {
    Map<String, Integer> seen = new java.util.HashMap<>();
    for (StoredJob job : jobs.all()) {
      seen.put(job.name(), job.revision());
      if (!Integer.valueOf(job.revision()).equals(scheduled.get(job.name()))) {
        safely(job.name(), () -> schedule(job));
      }
    }
    for (String name : scheduled.keySet()) {
      if (!seen.containsKey(name)) {
        unschedule(name);
        firing.forget(name);
      }
    }
  }

  /** The next fire times Quartz will use, for the API. */
  public static java.util.List<Instant> nextFireTimes(JobSpec spec, Instant now, int count) {
    if (spec.schedule() == null || !spec.enabled()) {
      return java.util.List.of();
    }
    return spec.schedule().next(now, count);
  }

  synchronized void schedule(StoredJob job) {
    schedule(job, clock.instant());
  }

  /** Schedules the job's fires after {@code now} (and queues those not due yet by the cluster). */
  private synchronized void schedule(StoredJob job, Instant now) {
    unschedule(job.name());
    scheduled.put(job.name(), job.revision());
    firing.track(job.name());
    JobSpec spec = job.spec();
    if (!spec.enabled() || spec.schedule() == null) {
      return;
    }
    Optional<Instant> first = spec.schedule().next(now);
    if (first.isEmpty()) {
      return;
    }
    JobDetail detail = JobBuilder.newJob(FireJob.class).withIdentity(job.name()).build();
    // On the trigger: a misfire is told the trigger, not its job.
    TriggerBuilder<org.quartz.Trigger> builder =
        TriggerBuilder.newTrigger()
            .withIdentity(job.name())
            .usingJobData(JOB_ID, job.id())
            .usingJobData(TRIGGER, trigger(spec.schedule()).name())
            .usingJobData(REVISION, job.revision());
    org.quartz.Trigger trigger;
    Schedule s = spec.schedule();
    if (s instanceof Schedule.Cron cron) {
      trigger =
          builder
              .withSchedule(
                  CronScheduleBuilder.cronSchedule(cron.expression())
                      .inTimeZone(TimeZone.getTimeZone(cron.zone()))
                      .withMisfireHandlingInstructionDoNothing())
              // not startAt(now): a CronTrigger's first fire is the first time after startAt - 1 s,
              // which fired (again) a second that had already passed
              .startAt(Date.from(first.get()))
              .build();
    } else if (s instanceof Schedule.Every every) {
      trigger =
          builder
              .withSchedule(
                  SimpleScheduleBuilder.simpleSchedule()
                      .withIntervalInMilliseconds(every.seconds() * 1000)
                      .repeatForever()
                      .withMisfireHandlingInstructionNextWithRemainingCount())
              .startAt(Date.from(first.get()))
              .build();
    } else {
      trigger =
          builder
              .withSchedule(
                  SimpleScheduleBuilder.simpleSchedule()
                      .withMisfireHandlingInstructionNextWithRemainingCount())
              .startAt(Date.from(first.get()))
              .build();
    }
    try {
      quartz.scheduleJob(detail, java.util.Set.of(trigger), true);
    } catch (SchedulerException e) {
      throw new IllegalStateException("cannot schedule job " + job.name(), e);
    }
    queueNotDueYet(job, now);
  }

  /**
   * Quartz fires {@code job} after this node's time {@code now}; when this node's clock is ahead of
   * the cluster's, the fires between the two are not due yet (not missed): they go to the queue,
   * which claims each when it comes due (a fire queued already is not queued again).
   */
  private void queueNotDueYet(StoredJob job, Instant now) {
    Schedule schedule = job.spec().schedule();
    int queued = 0;
    for (Optional<Instant> t = schedule.next(firing.clocks().clusterTime());
        t.isPresent() && !t.get().isAfter(now) && queued < MAX_COUNTED_MISSES;
        t = schedule.next(t.get())) {
      queue.add(
          new Firing.Due(job.id(), job.name(), t.get(), trigger(schedule), null, job.revision()));
      queued++;
    }
  }

  synchronized void unschedule(String name) {
    scheduled.remove(name);
    try {
      quartz.deleteJob(JobKey.jobKey(name));
    } catch (SchedulerException e) {
      log.warn("cannot unschedule job {}", name, e);
    }
  }

  /** The misfire policy applied at a start ({@link MissedFires#atStart}), as of now. */
  void catchUp(StoredJob job, boolean alone) {
    missed.atStart(job, alone, clock.instant());
  }

  /** Whether another node instance is live; when that cannot be read, assumed so (the safe way). */
  private boolean othersLive() {
    try {
      return othersLive.getAsBoolean();
    } catch (RuntimeException e) {
      log.warn("cannot read the live nodes at start ({}); assuming others are live", e.toString());
      return true;
    }
  }

  /**
   * Quartz calls this on its scheduling thread, holding its own lock: the misfire is only handed to
   * the queue (no database here), whose lane records it as missed once it is over a minute late by
   * the cluster's clock ({@link FireQueue}).
   */
  private void misfired(org.quartz.Trigger trigger) {
    String name = trigger.getKey().getName();
    Date when = trigger.getNextFireTime();
    log.warn("job {} misfired in Quartz (node overloaded?) at {}", name, when);
    queue.add(due(trigger, when == null ? clock.instant() : when.toInstant()));
  }

  private void execute(JobExecutionContext ctx) {
    queue.add(due(ctx.getTrigger(), ctx.getScheduledFireTime().toInstant()));
  }

  /** The fire of {@code trigger} (named after its job) at {@code at}. */
  private static Firing.Due due(org.quartz.Trigger trigger, Instant at) {
    JobDataMap data = trigger.getJobDataMap();
    return new Firing.Due(
        data.getLong(JOB_ID),
        trigger.getKey().getName(),
        at,
        Trigger.valueOf(data.getString(TRIGGER)),
        null,
        data.getInt(REVISION));
  }

  /** What a Quartz trigger carries: its job's id, its {@link Trigger}, and the job's revision. */
  private static final String JOB_ID = "jobId";

  private static final String TRIGGER = "trigger";

  /** The job's revision whose schedule a Quartz trigger fires by ({@link Firing.Due#revision}). */
  private static final String REVISION = "revision";

  static Trigger trigger(Schedule schedule) {
    if (schedule instanceof Schedule.Cron) {
      return Trigger.CRON;
    }
    return schedule instanceof Schedule.Every ? Trigger.INTERVAL : Trigger.ONCE;
  }

  static void safely(String job, Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      log.error("job {}: scheduling failed", job, e);
    }
  }

  /**
   * Stops firing (the node drains): triggers stay scheduled but nothing fires on this node any
   * more; other nodes claim the fires, and a node that starts later records what nobody fired as
   * misfires.
   */
  public void standby() {
    try {
      quartz.standby();
    } catch (SchedulerException e) {
      throw new IllegalStateException("cannot put the Quartz scheduler in standby", e);
    }
  }

  @Override
  public void close() {
    missed.close();
    try {
      quartz.shutdown(true);
    } catch (SchedulerException e) {
      log.warn("Quartz did not shut down cleanly", e);
    }
    queue.close();
  }

  /** Quartz needs a job class; the factory above hands it our method instead. */
  public static final class FireJob implements org.quartz.Job {
    public void execute(JobExecutionContext context) {
      throw new IllegalStateException("created only through the scheduler's job factory");
    }
  }
}
