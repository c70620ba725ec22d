package io.nightshift.scheduler.job;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.run.Engine;
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
import java.util.Map;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims a scheduled fire and acts on it: in ONE transaction the job row is locked, the overlap
 * policy decided, the run created and the fire row inserted. The fire row's unique key (job,
 * scheduled time) makes the first node to commit the only one; the others roll back and count a
 * duplicate. The run starts only after the commit.
 */
public final class Firing {
  private static final Logger log = LoggerFactory.getLogger(Firing.class);

  private final DSLContext dsl;
  private final TemplateRepository templates;
  private final Engine engine;
  private final String node;
  private final Clock clock;
  private final MeterRegistry metrics;
  private final Counter duplicates;
  private final Timer lag;

  public Firing(
      DSLContext dsl,
      TemplateRepository templates,
      Engine engine,
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

  /** What became of a fire on this node. */
  public record Result(boolean claimed, FireOutcome outcome, Long runId, String reason) {
    static Result duplicate() {
      return new Result(false, null, null, "claimed by another node");
    }
  }

  /** A scheduled fire of {@code jobId} at {@code scheduledAt}. */
  public Result fire(long jobId, Instant scheduledAt, Trigger trigger) {
    return claim(jobId, scheduledAt, trigger, null);
  }

  /** A fire standing for missed ones (misfire policy fire_once): started, with {@code reason}. */
  public Result fireMissed(long jobId, Instant scheduledAt, Trigger trigger, String reason) {
    return claim(jobId, scheduledAt, trigger, reason);
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

  private Result claim(long jobId, Instant scheduledAt, Trigger trigger, String note) {
    Instant firedAt = clock.instant();
    Result result;
    try {
      result =
          dsl.transactionResult(
              cfg -> decide(cfg.dsl(), jobId, scheduledAt, firedAt, trigger, note));
    } catch (DataAccessException e) {
      if (Sql.isDuplicateKey(e)) {
        duplicates.increment();
        return Result.duplicate();
      }
      throw e;
    }
    lag.record(
        Duration.between(scheduledAt, firedAt).isNegative()
            ? Duration.ZERO
            : Duration.between(scheduledAt, firedAt));
    count(result.outcome());
    if (result.outcome() == FireOutcome.STARTED) {
      engine.startCreated(result.runId());
    } else if (result.outcome() == FireOutcome.QUEUED) {
      engine.queued(result.runId());
    }
    return result;
  }

  private Result decide(
      DSLContext tx,
      long jobId,
      Instant scheduledAt,
      Instant firedAt,
      Trigger trigger,
      String note) {
    Optional<StoredJob> locked;
    Optional<StoredTemplate> template;
    JobSpec job;
    try {
      locked = JobRepository.lock(tx, jobId);
      if (locked.isEmpty()) {
        return new Result(false, null, null, "job deleted");
      }
      job = locked.get().spec();
      // Read in the fire's own transaction: a second connection while this one holds the job's
      // row lock can wait for a connection held by another fire waiting for that lock.
      template = templates.in(tx).find(job.template());
    } catch (SecretKeyException unreadable) {
      // A stored secret of the job or its template was sealed with a key this node lacks: the
      // fire is recorded as failed, with the key to add, instead of vanishing in a log line.
      return failed(tx, jobId, scheduledAt, firedAt, unreadable.getMessage());
    }
    if (template.isEmpty()) {
      return failed(
          tx, jobId, scheduledAt, firedAt, "template '" + job.template() + "' does not exist");
    }
    Map<String, String> values;
    try {
      values = Params.resolve(template.get().template(), job.params(), Map.of());
    } catch (Invalid e) {
      return failed(tx, jobId, scheduledAt, firedAt, e.getMessage());
    }
    JobAdmission.Decision decision = JobAdmission.decide(tx, job, false);
    RunStatus initial = RunStatus.RUNNING;
    FireOutcome outcome = FireOutcome.STARTED;
    if (decision.verdict() == JobAdmission.Verdict.REFUSE) {
      String reason = "run " + decision.other() + " of this job is still running";
      FireRepository.insert(
          tx,
          jobId,
          scheduledAt,
          firedAt,
          FireOutcome.SKIPPED_OVERLAP,
          reason,
          decision.other(),
          node);
      return new Result(true, FireOutcome.SKIPPED_OVERLAP, decision.other(), reason);
    }
    if (decision.verdict() == JobAdmission.Verdict.QUEUE) {
      initial = RunStatus.QUEUED;
      outcome = FireOutcome.QUEUED;
      note = "waits for run " + decision.other();
    }
    long runId =
        NewRunRepository.insert(
            tx,
            new NewRun(
                template.get().template(),
                template.get().version(),
                job.name(),
                trigger,
                "scheduler",
                values,
                null),
            initial,
            firedAt);
    FireRepository.insert(tx, jobId, scheduledAt, firedAt, outcome, note, runId, node);
    return new Result(true, outcome, runId, note);
  }

  private Result failed(
      DSLContext tx, long jobId, Instant scheduledAt, Instant firedAt, String reason) {
    FireRepository.insert(
        tx, jobId, scheduledAt, firedAt, FireOutcome.FAILED_TO_START, reason, null, node);
    log.warn("job {} fire at {} failed to start: {}", jobId, scheduledAt, reason);
    return new Result(true, FireOutcome.FAILED_TO_START, null, reason);
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
