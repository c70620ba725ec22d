package io.nightshift.scheduler.job;

import io.micrometer.core.instrument.MeterRegistry;
import io.nightshift.scheduler.run.CreatedRuns;
import io.nightshift.scheduler.run.RunEventRepository;
import io.nightshift.scheduler.run.RunEvents;
import io.nightshift.scheduler.run.Trigger;
import io.nightshift.scheduler.store.Sql;
import io.nightshift.scheduler.template.TemplateRepository;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims scheduled fires and acts on them: in ONE transaction the job rows are locked, each job's
 * overlap policy decided, the runs created and the fire rows inserted (one fire, or a batch of
 * fires of distinct jobs with one statement per table). The fire row's unique key (job, scheduled
 * time) makes the first node to commit the only one; the others roll back and count a duplicate.
 * The run starts only after the commit (or, when the commit answered a lost connection although it
 * went through, once the fire tried again is found recorded by this node). What a claim transaction
 * decides and writes is {@link FireClaim}'s, what follows its commit {@link AfterClaim}'s; what
 * this class keeps is the batching and the fallbacks.
 */
public final class Firing {
  private static final Logger log = LoggerFactory.getLogger(Firing.class);

  private final DSLContext dsl;
  private final FireClaim claim;
  private final AfterClaim afterClaim;
  private final String node;
  private final FireClocks clocks;
  private final FireMetrics metrics;
  private final String instance;

  /**
   * For node {@code node}, this process of it being {@code instance} (its node lease's id). {@code
   * clock}: the schedule's time (Quartz fires by this node's own clock); {@code runTime}: the
   * cluster's time (the engine's: the database server's on MySQL), in which fires come due, are
   * recorded and the runs they start are stored ({@link FireClocks}).
   */
  public Firing(
      DSLContext dsl,
      TemplateRepository templates,
      CreatedRuns engine,
      String node,
      String instance,
      Clock clock,
      Clock runTime,
      MeterRegistry metrics) {
    this.dsl = dsl;
    this.instance = instance;
    this.claim = new FireClaim(templates, node, instance, runTime);
    this.node = node;
    this.clocks = new FireClocks(clock, runTime);
    this.metrics = new FireMetrics(metrics);
    this.afterClaim = new AfterClaim(this.metrics, engine);
  }

  /**
   * What became of a fire on this node; {@code failed}: it could not be claimed nor recorded (the
   * database failed), so nothing was written and it is to be tried again.
   */
  public record Result(
      boolean claimed, FireOutcome outcome, Long runId, String reason, boolean failed) {
    private static final Result DUPLICATE =
        new Result(false, null, null, "claimed by another node");

    public Result(boolean claimed, FireOutcome outcome, Long runId, String reason) {
      this(claimed, outcome, runId, reason, false);
    }

    static Result failed(RuntimeException e) {
      return new Result(false, null, null, "could not be claimed: " + e, true);
    }

    private static final Result BUSY =
        new Result(false, null, null, "its job's row is held by another transaction", true);

    static Result duplicate() {
      return DUPLICATE;
    }

    /** Its job's row was held by another transaction: tried again soon, nothing was recorded. */
    static Result busy() {
      return BUSY;
    }

    /** See {@link #busy()}. */
    public boolean jobBusy() {
      return equals(BUSY);
    }

    /** Whether another node had claimed the fire. */
    public boolean duplicated() {
      return equals(DUPLICATE);
    }
  }

  /**
   * A fire to claim: job {@code jobId} (named {@code job}, for the misfire count) scheduled at
   * {@code scheduledAt}; {@code note} (may be null) is recorded as the fire's reason. {@code
   * revision}: the job's revision whose schedule gave this time (0: not from a schedule, such as a
   * catch-up's fire), so a claim can tell a fire of a schedule changed since ({@link
   * FireClaim#write}).
   */
  public record Due(
      long jobId, String job, Instant scheduledAt, Trigger trigger, String note, int revision) {
    /** A fire that comes from no particular revision's schedule. */
    public Due(long jobId, String job, Instant scheduledAt, Trigger trigger, String note) {
      this(jobId, job, scheduledAt, trigger, note, 0);
    }

    /** The job as log lines name it: its name, or its id where the fire does not carry one. */
    Object named() {
      return job == null ? jobId : job;
    }
  }

  /**
   * A scheduled fire of {@code jobId} at {@code scheduledAt}, claimed now: it waits for its job's
   * row if another transaction holds it (unlike {@link #fireAll}).
   */
  public Result fire(long jobId, Instant scheduledAt, Trigger trigger) {
    return claimOne(new Due(jobId, null, scheduledAt, trigger, null), false, false);
  }

  /**
   * A fire standing for missed ones (misfire policy fire_once): started, with {@code reason}; it
   * waits for its job's row like {@link #fire}.
   */
  public Result fireMissed(
      long jobId, String job, Instant scheduledAt, Trigger trigger, String reason) {
    return claimOne(new Due(jobId, job, scheduledAt, trigger, reason), false, false);
  }

  /** Records a misfire (policy skip): no run. */
  public Result recordMisfire(long jobId, Instant scheduledAt, String reason) {
    return recordMisfire(jobId, scheduledAt, reason, true);
  }

  /**
   * Records a misfire (policy skip): no run; {@code tell}: with a {@code job.fire_missed} event for
   * the job's webhooks, in the same transaction (not for fires a pause held back: those were not
   * missed by accident).
   */
  public Result recordMisfire(long jobId, Instant scheduledAt, String reason, boolean tell) {
    try {
      dsl.transaction(
          cfg -> {
            Instant at = clocks.clusterTime();
            FireRepository.insert(
                cfg.dsl(),
                jobId,
                scheduledAt,
                at,
                FireOutcome.MISFIRED,
                reason,
                null,
                node,
                instance);
            if (tell) {
              RunEventRepository.add(
                  cfg.dsl(),
                  RunEvents.NO_RUN,
                  RunEvents.fire(
                      FireOutcome.MISFIRED.webhookEvent(),
                      jobId,
                      null,
                      scheduledAt,
                      reason,
                      null,
                      at),
                  at);
            }
          });
      metrics.count(FireOutcome.MISFIRED);
      return new Result(true, FireOutcome.MISFIRED, null, reason);
    } catch (DataAccessException e) {
      if (Sql.isDuplicateKey(e)) {
        return recordedBefore(jobId, scheduledAt);
      }
      throw e;
    }
  }

  /**
   * A fire found recorded: another node's (a duplicate), or this instance's own, stored by a
   * transaction whose commit answered a lost connection (the fire row names the instance); then
   * what it recorded follows now, as after a commit (its metrics, its run handed to the engine).
   */
  private Result recordedBefore(long jobId, Instant scheduledAt) {
    FireRepository.Recorded fire =
        FireRepository.recorded(dsl, List.of(jobId), List.of(scheduledAt))
            .get(java.util.Map.entry(jobId, scheduledAt));
    if (fire == null || !fire.by(instance)) {
      metrics.duplicate();
      return Result.duplicate();
    }
    Result result = new Result(true, fire.outcome(), fire.runId(), fire.reason());
    afterClaim.claimed(new Due(jobId, null, scheduledAt, null, null), clocks.clusterTime(), result);
    return result;
  }

  /**
   * Claims fires together: at most {@link #BATCH} fires of distinct jobs per transaction (job rows
   * locked, fires already recorded by another node left out, runs, events, audit and fire rows
   * written with one statement per table). A fire claimed more than {@link #LATE} after its time is
   * recorded as missed instead, as Quartz would have, after the same checks (none for a paused or
   * deleted job, nor for a fire of a schedule changed since that does not hold its time). A batch
   * that fails (a fire another node recorded without the job's lock, a deadlock) is claimed again
   * one fire at a time. A fire whose job's row another transaction holds is not waited for: it is
   * {@link Result#busy} (so are the job's later fires here), to be tried again by the caller. Never
   * throws: a fire the database failed is {@link Result#failed}, and the others go on (unless the
   * database cannot be reached at all: then the rest fail at once instead of each waiting for a
   * connection). The results are in the order of {@code fires}.
   */
  public List<Result> fireAll(List<Due> fires) {
    Result[] results = new Result[fires.size()];
    List<List<Integer>> batches = new ArrayList<>();
    List<List<Integer>> late = new ArrayList<>();
    for (int i = 0; i < fires.size(); i++) {
      Due due = fires.get(i);
      if (clocks.lateBy(due).compareTo(LATE) > 0) {
        // No run is admitted for a late fire: fires of one job may share a transaction.
        if (late.isEmpty() || late.get(late.size() - 1).size() == BATCH) {
          late.add(new ArrayList<>());
        }
        late.get(late.size() - 1).add(i);
        continue;
      }
      List<Integer> batch =
          batches.stream()
              .filter(
                  b ->
                      b.size() < BATCH
                          && b.stream().noneMatch(j -> fires.get(j).jobId() == due.jobId()))
              .findFirst()
              .orElse(null);
      if (batch == null) {
        batch = new ArrayList<>();
        batches.add(batch);
      }
      batch.add(i);
    }
    FireOutage outage = new FireOutage();
    java.util.Set<Long> busy = new java.util.HashSet<>();
    // Late ones first: a backlog after an outage drains at the pace of batches and does not make
    // the fires behind it late too.
    for (List<Integer> indexes : late) {
      claimAll(fires, indexes, true, outage, busy, results);
    }
    for (List<Integer> indexes : batches) {
      claimAll(fires, indexes, false, outage, busy, results);
    }
    return List.of(results);
  }

  /**
   * Claims the fires at {@code indexes} together. {@code busy}: the jobs whose row another
   * transaction held in this call; their later fires are not tried (a job's fires are claimed in
   * their order, also when its row came free meanwhile) and are {@link Result#busy} too.
   */
  private void claimAll(
      List<Due> fires,
      List<Integer> indexes,
      boolean late,
      FireOutage outage,
      java.util.Set<Long> busy,
      Result[] results) {
    List<Integer> tried = new ArrayList<>();
    for (int index : indexes) {
      if (busy.contains(fires.get(index).jobId())) {
        results[index] = Result.busy();
      } else {
        tried.add(index);
      }
    }
    if (tried.isEmpty()) {
      return;
    }
    List<Due> batch = tried.stream().map(fires::get).toList();
    List<Result> claimed =
        batch.size() == 1
            ? List.of(outage.alone(batch.get(0), due -> claimOne(due, late, true)))
            : claimBatch(batch, late, outage);
    for (int k = 0; k < tried.size(); k++) {
      results[tried.get(k)] = claimed.get(k);
      if (claimed.get(k).jobBusy()) {
        busy.add(batch.get(k).jobId());
      }
    }
  }

  /** See {@link FireMetrics#waiting}. */
  void gaugeWaiting(java.util.function.IntSupplier waiting) {
    metrics.waiting(waiting);
  }

  /** Whether a fire is so old that trying it again is pointless: it is dropped (and logged). */
  boolean tooOldToRetry(Due due) {
    return clocks.lateBy(due).compareTo(GIVE_UP) > 0;
  }

  /** This node's clock and the cluster's, by which fires come due and are late. */
  FireClocks clocks() {
    return clocks;
  }

  /** How long a fire the database failed is tried again (then recorded as missed, if it can be). */
  static final Duration GIVE_UP = Duration.ofMinutes(10);

  /** Fires claimed later than this after their time are missed (Quartz's misfire threshold). */
  static final Duration LATE = Duration.ofSeconds(60);

  /** The most fires claimed in one transaction. */
  static final int BATCH = 200;

  private List<Result> claimBatch(List<Due> batch, boolean late, FireOutage outage) {
    if (outage.down()) {
      return outage.failAll(batch.size());
    }
    FireClaim.Claim done;
    try {
      done = dsl.transactionResult(cfg -> claim.write(cfg.dsl(), batch, late, true));
    } catch (RuntimeException e) {
      if (outage.noted(e)) {
        return outage.failAll(batch.size());
      }
      // A fire recorded meanwhile without the job's lock is expected on a cluster; anything else
      // (a deadlock, ids the driver mapped wrongly) is worth an operator's look if it repeats.
      if (e instanceof DataAccessException d && Sql.isDuplicateKey(d)) {
        log.info("a batch of {} fires is claimed again one by one: {}", batch.size(), e.toString());
      } else {
        log.warn("a batch of {} fires is claimed again one by one: {}", batch.size(), e.toString());
      }
      return batch.stream()
          .map(due -> outage.alone(due, one -> claimOne(one, late, true)))
          .toList();
    }
    for (int i = 0; i < batch.size(); i++) {
      afterClaim.claimed(batch.get(i), done.firedAt(), done.results().get(i));
    }
    return done.results();
  }

  /** {@code skipBusy}: see {@link FireClaim#write}. */
  private Result claimOne(Due due, boolean late, boolean skipBusy) {
    FireClaim.Claim done;
    try {
      done = dsl.transactionResult(cfg -> claim.write(cfg.dsl(), List.of(due), late, skipBusy));
    } catch (DataAccessException e) {
      if (Sql.isDuplicateKey(e)) {
        metrics.duplicate();
        return Result.duplicate();
      }
      throw e;
    }
    Result result = done.results().get(0);
    afterClaim.claimed(due, done.firedAt(), result);
    return result;
  }

  /** See {@link FireMetrics#missed}. */
  void missed(String job, int fires) {
    metrics.missed(job, fires);
  }

  /**
   * Shows the job's series at 0 before its first miss or failed start, so that an alert on their
   * increase sees the first one.
   */
  void track(String job) {
    metrics.track(job);
  }

  /** See {@link FireMetrics#forget}. */
  void forget(String job) {
    metrics.forget(job);
  }
}
