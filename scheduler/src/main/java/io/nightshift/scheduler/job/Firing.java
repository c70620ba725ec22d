package io.nightshift.scheduler.job;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.run.CreatedRuns;
import io.nightshift.scheduler.run.NewRun;
import io.nightshift.scheduler.run.NewRunRepository;
import io.nightshift.scheduler.run.Params;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.run.Trigger;
import io.nightshift.scheduler.secrets.SecretKeyException;
import io.nightshift.scheduler.store.Sql;
import io.nightshift.scheduler.template.StoredTemplate;
import io.nightshift.scheduler.template.TemplateRepository;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims scheduled fires and acts on them: in ONE transaction the job rows are locked, each job's
 * overlap policy decided, the runs created and the fire rows inserted (one fire, or a batch of
 * fires of distinct jobs with one statement per table). The fire row's unique key (job, scheduled
 * time) makes the first node to commit the only one; the others roll back and count a duplicate.
 * The run starts only after the commit.
 */
public final class Firing {
  private static final Logger log = LoggerFactory.getLogger(Firing.class);

  private final DSLContext dsl;
  private final TemplateRepository templates;
  private final CreatedRuns engine;
  private final String node;
  private final Clock clock;
  private final MeterRegistry metrics;
  private final Counter duplicates;
  private final Timer lag;

  public Firing(
      DSLContext dsl,
      TemplateRepository templates,
      CreatedRuns engine,
      String node,
      Clock clock,
      MeterRegistry metrics) {
    this.dsl = dsl;
    this.templates = templates;
    this.engine = engine;
    this.node = node;
    this.clock = clock;
    this.metrics = metrics;
    this.duplicates =
        Counter.builder("nightshift.fires.duplicates")
            .description("fires another node had already claimed")
            .register(metrics);
    this.lag =
        Timer.builder("nightshift.fire.lag")
            .description("claim time minus scheduled fire time")
            .publishPercentileHistogram()
            .register(metrics);
    // Every outcome shows from the start (at 0), so rate() and alerts see the series.
    for (FireOutcome outcome : FireOutcome.values()) {
      fires(outcome);
    }
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

    static Result duplicate() {
      return DUPLICATE;
    }

    /** Whether another node had claimed the fire. */
    public boolean duplicated() {
      return equals(DUPLICATE);
    }
  }

  /**
   * A fire to claim: job {@code jobId} (named {@code job}, for the misfire count) scheduled at
   * {@code scheduledAt}; {@code note} (may be null) is recorded as the fire's reason.
   */
  public record Due(long jobId, String job, Instant scheduledAt, Trigger trigger, String note) {}

  /** A scheduled fire of {@code jobId} at {@code scheduledAt}. */
  public Result fire(long jobId, Instant scheduledAt, Trigger trigger) {
    return claimOne(new Due(jobId, null, scheduledAt, trigger, null));
  }

  /** A fire standing for missed ones (misfire policy fire_once): started, with {@code reason}. */
  public Result fireMissed(long jobId, Instant scheduledAt, Trigger trigger, String reason) {
    return claimOne(new Due(jobId, null, scheduledAt, trigger, reason));
  }

  /** Records a misfire (policy skip): no run. */
  public Result recordMisfire(long jobId, Instant scheduledAt, String reason) {
    try {
      dsl.transaction(
          cfg ->
              FireRepository.insert(
                  cfg.dsl(),
                  jobId,
                  scheduledAt,
                  clock.instant(),
                  FireOutcome.MISFIRED,
                  reason,
                  null,
                  node));
      count(FireOutcome.MISFIRED);
      return new Result(true, FireOutcome.MISFIRED, null, reason);
    } catch (DataAccessException e) {
      if (Sql.isDuplicateKey(e)) {
        duplicates.increment();
        return Result.duplicate();
      }
      throw e;
    }
  }

  /**
   * Claims fires together: at most {@link #BATCH} fires of distinct jobs per transaction (job rows
   * locked, fires already recorded by another node left out, runs, events, audit and fire rows
   * written with one statement per table). A fire claimed more than {@link #LATE} after its time is
   * recorded as missed instead, as Quartz would have. A batch that fails (a fire another node
   * recorded without the job's lock, a deadlock) is claimed again one fire at a time. Never throws:
   * a fire the database failed is {@link Result#failed}, and the others go on (unless the database
   * cannot be reached at all: then the rest fail at once instead of each waiting for a connection).
   * The results are in the order of {@code fires}.
   */
  public List<Result> fireAll(List<Due> fires) {
    Result[] results = new Result[fires.size()];
    List<List<Integer>> batches = new ArrayList<>();
    List<Integer> late = new ArrayList<>();
    Instant now = clock.instant();
    for (int i = 0; i < fires.size(); i++) {
      Due due = fires.get(i);
      if (Duration.between(due.scheduledAt(), now).compareTo(LATE) > 0) {
        late.add(i);
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
    for (int from = 0; from < late.size(); from += BATCH) {
      List<Integer> indexes = late.subList(from, Math.min(late.size(), from + BATCH));
      List<Result> recorded = recordLate(indexes.stream().map(fires::get).toList());
      for (int k = 0; k < indexes.size(); k++) {
        results[indexes.get(k)] = recorded.get(k);
      }
    }
    for (List<Integer> indexes : batches) {
      List<Due> batch = indexes.stream().map(fires::get).toList();
      List<Result> claimed =
          batch.size() == 1 ? List.of(guarded(() -> claimOne(batch.get(0)))) : claimBatch(batch);
      for (int k = 0; k < indexes.size(); k++) {
        results[indexes.get(k)] = claimed.get(k);
      }
    }
    return List.of(results);
  }

  /** Shows how many fires wait for a claiming thread (a backlog after an outage, a slow store). */
  void gaugeWaiting(java.util.function.IntSupplier waiting) {
    io.micrometer.core.instrument.Gauge.builder("nightshift.fires.waiting", waiting::getAsInt)
        .description("fires Quartz handed over that this node has not claimed or recorded yet")
        .register(metrics);
  }

  /** Whether a fire is so old that trying it again is pointless: it is dropped (and logged). */
  boolean tooOldToRetry(Due due) {
    return Duration.between(due.scheduledAt(), clock.instant()).compareTo(GIVE_UP) > 0;
  }

  /** How long a fire the database failed is tried again (then recorded as missed, if it can be). */
  static final Duration GIVE_UP = Duration.ofMinutes(10);

  private static Result guarded(Supplier<Result> claim) {
    try {
      return claim.get();
    } catch (RuntimeException e) {
      return Result.failed(e);
    }
  }

  /** Fires claimed later than this after their time are missed (Quartz's misfire threshold). */
  static final Duration LATE = Duration.ofSeconds(60);

  /** The most fires claimed in one transaction. */
  static final int BATCH = 200;

  private static final String LATE_REASON = "fired more than 60 s late on this node; skipped";

  /**
   * Records late fires as missed with one statement (a backlog after an outage drains at the pace
   * of batches, not of one transaction per fire, and does not make the fires behind it late too);
   * when that fails (a fire recorded meanwhile), fire by fire.
   */
  private List<Result> recordLate(List<Due> late) {
    if (late.size() > 1) {
      try {
        dsl.transaction(
            cfg ->
                FireRepository.insertAll(
                    cfg.dsl(),
                    late.stream()
                        .map(
                            d ->
                                new FireRepository.Claimed(
                                    d.jobId(),
                                    d.scheduledAt(),
                                    FireOutcome.MISFIRED,
                                    LATE_REASON,
                                    null))
                        .toList(),
                    clock.instant(),
                    node));
        Result missed = new Result(true, FireOutcome.MISFIRED, null, LATE_REASON);
        late.forEach(
            due -> {
              count(FireOutcome.MISFIRED);
              if (due.job() != null) {
                missed(due.job(), 1);
              }
            });
        return late.stream().map(due -> missed).toList();
      } catch (RuntimeException e) {
        if (Sql.isUnavailable(e)) {
          return late.stream().map(due -> Result.failed(e)).toList();
        }
      }
    }
    return late.stream().map(due -> guarded(() -> late(due))).toList();
  }

  private Result late(Due due) {
    Result result = recordMisfire(due.jobId(), due.scheduledAt(), LATE_REASON);
    if (result.claimed() && due.job() != null) {
      missed(due.job(), 1);
    }
    return result;
  }

  private List<Result> claimBatch(List<Due> batch) {
    Claim claim;
    try {
      claim = dsl.transactionResult(cfg -> decide(cfg.dsl(), batch, true));
    } catch (RuntimeException e) {
      if (Sql.isUnavailable(e)) {
        return batch.stream().map(due -> Result.failed(e)).toList();
      }
      // A fire recorded meanwhile without the job's lock is expected on a cluster; anything else
      // (a deadlock, ids the driver mapped wrongly) is worth an operator's look if it repeats.
      if (e instanceof DataAccessException d && Sql.isDuplicateKey(d)) {
        log.info("a batch of {} fires is claimed again one by one: {}", batch.size(), e.toString());
      } else {
        log.warn("a batch of {} fires is claimed again one by one: {}", batch.size(), e.toString());
      }
      List<Result> results = new ArrayList<>(batch.size());
      RuntimeException unavailable = null;
      for (Due due : batch) {
        Result result;
        if (unavailable != null) {
          result = Result.failed(unavailable);
        } else {
          try {
            result = claimOne(due);
          } catch (RuntimeException one) {
            result = Result.failed(one);
            unavailable = Sql.isUnavailable(one) ? one : null;
          }
        }
        results.add(result);
      }
      return results;
    }
    for (int i = 0; i < batch.size(); i++) {
      claimed(batch.get(i), claim.firedAt(), claim.results().get(i));
    }
    return claim.results();
  }

  private Result claimOne(Due due) {
    Claim claim;
    try {
      claim = dsl.transactionResult(cfg -> decide(cfg.dsl(), List.of(due), false));
    } catch (DataAccessException e) {
      if (Sql.isDuplicateKey(e)) {
        duplicates.increment();
        return Result.duplicate();
      }
      throw e;
    }
    Result result = claim.results().get(0);
    claimed(due, claim.firedAt(), result);
    return result;
  }

  /** What follows a committed claim: its metrics, and the run handed to the engine. */
  private void claimed(Due due, Instant firedAt, Result result) {
    if (!result.claimed()) {
      if (result.duplicated()) {
        duplicates.increment();
      }
      return;
    }
    Duration late = Duration.between(due.scheduledAt(), firedAt);
    lag.record(late.isNegative() ? Duration.ZERO : late);
    count(result.outcome());
    if (result.outcome() == FireOutcome.FAILED_TO_START) {
      // Once it is committed: a batch that rolled back and is claimed again fire by fire would
      // say it twice.
      log.warn(
          "job {} fire at {} failed to start: {}", due.jobId(), due.scheduledAt(), result.reason());
    }
    if (result.outcome() == FireOutcome.STARTED) {
      engine.startCreated(result.runId());
    } else if (result.outcome() == FireOutcome.QUEUED) {
      engine.queued(result.runId());
    }
  }

  /** What one fire comes to before its writes: a fire row, and the run to create if any. */
  private record Plan(Due due, Result result, NewRun run, RunStatus initial) {}

  /**
   * What a claim transaction decided, fire by fire, and when it recorded them: the fire rows' time,
   * taken after the runs were written, so a fire's lag counts the whole claim but its commit.
   */
  private record Claim(List<Result> results, Instant firedAt) {}

  /**
   * Decides the fires (of distinct jobs) under their jobs' row locks and writes them; {@code
   * skipRecorded}: leave out fires another node has recorded (else their duplicate key fails the
   * transaction).
   */
  private Claim decide(DSLContext tx, List<Due> fires, boolean skipRecorded) {
    Instant createdAt = clock.instant();
    Map<Long, Supplier<StoredJob>> rows =
        JobRepository.lockAll(tx, fires.stream().map(Due::jobId).toList());
    Set<Map.Entry<Long, Instant>> recorded =
        skipRecorded
            ? FireRepository.recorded(
                tx, rows.keySet(), fires.stream().map(Due::scheduledAt).distinct().toList())
            : Set.of();
    // Read in the fires' own transaction: a second connection while this one holds the jobs' row
    // locks can wait for a connection held by another claim waiting for those locks.
    Map<String, TemplateRead> templatesRead = new HashMap<>();
    List<Plan> plans = new ArrayList<>(fires.size());
    for (Due due : fires) {
      Supplier<StoredJob> row = rows.get(due.jobId());
      if (row == null) {
        plans.add(new Plan(due, new Result(false, null, null, "job deleted"), null, null));
      } else if (recorded.contains(Map.entry(due.jobId(), due.scheduledAt()))) {
        plans.add(new Plan(due, Result.duplicate(), null, null));
      } else {
        plans.add(plan(tx, due, row, templatesRead));
      }
    }
    List<NewRunRepository.Admitted> runs =
        plans.stream()
            .filter(p -> p.run() != null)
            .map(p -> new NewRunRepository.Admitted(p.run(), p.initial()))
            .toList();
    List<Long> ids = runs.isEmpty() ? List.of() : NewRunRepository.insertAll(tx, runs, createdAt);
    List<Result> results = new ArrayList<>(plans.size());
    List<FireRepository.Claimed> claimed = new ArrayList<>();
    int next = 0;
    for (Plan plan : plans) {
      Result result = plan.result();
      if (plan.run() != null) {
        result = new Result(true, result.outcome(), ids.get(next++), result.reason());
      }
      if (result.claimed()) {
        claimed.add(
            new FireRepository.Claimed(
                plan.due().jobId(),
                plan.due().scheduledAt(),
                result.outcome(),
                result.reason(),
                result.runId()));
      }
      results.add(result);
    }
    Instant firedAt = clock.instant();
    if (!claimed.isEmpty()) {
      FireRepository.insertAll(tx, claimed, firedAt, node);
    }
    return new Claim(results, firedAt);
  }

  /** A template read once per claim transaction; {@code error}: why it cannot be used. */
  private record TemplateRead(StoredTemplate template, String error) {}

  private Plan plan(
      DSLContext tx, Due due, Supplier<StoredJob> row, Map<String, TemplateRead> read) {
    JobSpec job;
    TemplateRead template;
    try {
      job = row.get().spec();
      if (!job.enabled()) {
        // Paused after Quartz handed the fire over: no node fires a paused job. Its resume counts
        // the fires missed meanwhile, this one too.
        return new Plan(due, new Result(false, null, null, "job paused"), null, null);
      }
      template = read.computeIfAbsent(job.template(), name -> readTemplate(tx, name));
    } catch (SecretKeyException unreadable) {
      // A stored secret of the job was sealed with a key this node lacks: the fire is recorded
      // as failed, with the key to add, instead of vanishing in a log line.
      return failed(due, unreadable.getMessage());
    }
    if (template.error() != null) {
      return failed(due, template.error());
    }
    Map<String, String> values;
    try {
      values = Params.resolve(template.template().template(), job.params(), Map.of());
    } catch (Invalid e) {
      return failed(due, e.getMessage());
    }
    JobAdmission.Decision decision = JobAdmission.decide(tx, job, false);
    if (decision.verdict() == JobAdmission.Verdict.REFUSE) {
      return new Plan(
          due,
          new Result(
              true,
              FireOutcome.SKIPPED_OVERLAP,
              decision.other(),
              "run " + decision.other() + " of this job is still running"),
          null,
          null);
    }
    boolean queue = decision.verdict() == JobAdmission.Verdict.QUEUE;
    return new Plan(
        due,
        new Result(
            true,
            queue ? FireOutcome.QUEUED : FireOutcome.STARTED,
            null,
            queue ? "waits for run " + decision.other() : due.note()),
        new NewRun(
            template.template().template(),
            template.template().version(),
            job.name(),
            due.trigger(),
            "scheduler",
            values,
            null),
        queue ? RunStatus.QUEUED : RunStatus.RUNNING);
  }

  private TemplateRead readTemplate(DSLContext tx, String name) {
    try {
      return templates
          .in(tx)
          .find(name)
          .map(t -> new TemplateRead(t, null))
          .orElse(new TemplateRead(null, "template '" + name + "' does not exist"));
    } catch (SecretKeyException unreadable) {
      return new TemplateRead(null, unreadable.getMessage());
    }
  }

  private static Plan failed(Due due, String reason) {
    return new Plan(due, new Result(true, FireOutcome.FAILED_TO_START, null, reason), null, null);
  }

  /**
   * Counts {@code fires} that job {@code job} missed (recorded as misfired, or stood for by one
   * catch-up run); 0 shows the job's series before its first miss.
   */
  void missed(String job, int fires) {
    Counter.builder("nightshift.misfires")
        .description(
            "scheduled fires a job missed (no node running, paused, or fired over 60 s late),"
                + " whatever its misfire policy did about them")
        .tag("job", job)
        .register(metrics)
        .increment(fires);
  }

  /** A deleted job's misfire series goes with it. */
  void forget(String job) {
    metrics.find("nightshift.misfires").tag("job", job).meters().forEach(metrics::remove);
  }

  private void count(FireOutcome outcome) {
    if (outcome != null) {
      fires(outcome).increment();
    }
  }

  private Counter fires(FireOutcome outcome) {
    return Counter.builder("nightshift.fires")
        .description("fires claimed by this node, by outcome")
        .tag("outcome", outcome.json())
        .register(metrics);
  }
}
