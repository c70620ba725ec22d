package io.nightshift.scheduler.run;

import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;

import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.secrets.SecretCipher;
import io.nightshift.scheduler.secrets.StoredSecrets;
import io.nightshift.scheduler.template.StepSpec;
import io.nightshift.scheduler.template.Template;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jooq.DSLContext;

/**
 * Stores new runs: a run with attempt 1 of each step (or the steps a retry keeps), its event and
 * audit record, in the caller's transaction (a job's admission, a fire, a run-now), and reads what
 * a job's concurrency policy decides on.
 */
public final class NewRunRepository {
  private NewRunRepository() {}

  /**
   * Inserts a run (RUNNING, or QUEUED behind another run of its job) with attempt 1 of every step
   * PENDING, and its audit record, in the caller's transaction. Returns its id.
   */
  public static long insert(DSLContext tx, NewRun run, RunStatus initial, Instant now) {
    return insertAll(tx, List.of(new Admitted(run, initial)), now).get(0);
  }

  /** A run to store and the status it starts in (RUNNING, or QUEUED behind another run). */
  public record Admitted(NewRun run, RunStatus initial) {}

  /**
   * Inserts several runs as {@link #insert} does one, with one multi-row statement per table (runs,
   * step attempts, events, audit records): a batch of fires costs four statements, not four per
   * run. Returns their ids in order.
   */
  public static List<Long> insertAll(DSLContext tx, List<Admitted> runs, Instant now) {
    SecretCipher cipher = SecretCipher.of(tx);
    // One stored snapshot per template of the batch (fires of one template share it).
    Map<Template, String> snapshots = new java.util.IdentityHashMap<>();
    var insertRuns =
        tx.insertInto(
            RUN,
            RUN.TEMPLATE_NAME,
            RUN.TEMPLATE_VERSION,
            RUN.TEMPLATE_SNAPSHOT,
            RUN.JOB_NAME,
            RUN.TRIGGER_KIND,
            RUN.TRIGGERED_BY,
            RUN.STATUS,
            RUN.PARAMS,
            RUN.RETRY_OF,
            RUN.REVISION,
            RUN.CREATED_AT,
            RUN.STARTED_AT,
            RUN.REQUEST_KEY,
            RUN.REQUEST_HASH);
    for (Admitted a : runs) {
      NewRun run = a.run();
      insertRuns =
          insertRuns.values(
              run.template().name(),
              run.templateVersion(),
              snapshots.computeIfAbsent(
                  run.template(), t -> StoredSecrets.template(cipher, run.template())),
              run.job(),
              run.trigger().json(),
              run.triggeredBy(),
              a.initial().name(),
              StoredSecrets.params(cipher, run.template(), run.params()).encode(),
              run.retryOf(),
              1,
              now,
              a.initial() == RunStatus.RUNNING ? now : null,
              run.request() == null ? null : run.request().hash(),
              run.request() == null ? null : run.request().fingerprint());
    }
    List<Long> ids = insertRuns.returningResult(RUN.ID).fetch(RUN.ID);
    if (runs.size() > 1) {
      checkIds(tx, runs, ids);
    }
    var insertSteps =
        tx.insertInto(
            RUN_STEP,
            RUN_STEP.RUN_ID,
            RUN_STEP.NAME,
            RUN_STEP.KIND,
            RUN_STEP.POSITION,
            RUN_STEP.ATTEMPT,
            RUN_STEP.STATUS,
            RUN_STEP.EXIT_CODE,
            RUN_STEP.ERROR,
            RUN_STEP.STARTED_AT,
            RUN_STEP.FINISHED_AT,
            RUN_STEP.REVISION);
    List<RunEventRepository.New> events = new java.util.ArrayList<>(runs.size());
    List<AuditLog.Entry> audit = new java.util.ArrayList<>(runs.size());
    for (int i = 0; i < runs.size(); i++) {
      NewRun run = runs.get(i).run();
      RunStatus initial = runs.get(i).initial();
      long runId = ids.get(i);
      Map<String, StepRun> kept = new java.util.HashMap<>();
      run.kept().forEach(step -> kept.put(step.name(), step));
      int position = 0;
      for (StepSpec step : run.template().steps()) {
        StepRun keep = kept.get(step.name());
        insertSteps =
            keep == null
                ? insertSteps.values(
                    runId,
                    step.name(),
                    step.kind().json(),
                    position++,
                    1,
                    StepStatus.PENDING.name(),
                    null,
                    null,
                    null,
                    null,
                    1)
                : insertSteps.values(
                    runId,
                    step.name(),
                    step.kind().json(),
                    position++,
                    1,
                    StepStatus.SUCCEEDED.name(),
                    keep.exitCode(),
                    keptFrom(keep),
                    keep.startedAt(),
                    keep.finishedAt(),
                    1);
      }
      events.add(new RunEventRepository.New(runId, RunEvents.run(runId, initial, null, null, now)));
      audit.add(
          new AuditLog.Entry(
              now,
              run.triggeredBy(),
              "run.create",
              "run",
              String.valueOf(runId),
              new JsonObject()
                  .put("template", run.template().name())
                  .put("templateVersion", run.templateVersion())
                  .put("job", run.job())
                  .put("trigger", run.trigger().json())
                  .put(
                      "params",
                      new JsonObject(
                          new LinkedHashMap<>(Params.masked(run.template(), run.params()))))));
    }
    insertSteps.execute();
    RunEventRepository.addAll(tx, events, now);
    AuditLog.writeAll(tx, audit);
    return ids;
  }

  /**
   * The ids a multi-row insert reported are the driver's reckoning (the first id, counted on): a
   * database that interleaves auto-increment values between statements would make them wrong, so
   * they are checked against the rows (job names differ within a batch of fires) before use.
   */
  private static void checkIds(DSLContext tx, List<Admitted> runs, List<Long> ids) {
    Map<Long, String> stored =
        tx.select(RUN.ID, RUN.JOB_NAME)
            .from(RUN)
            .where(RUN.ID.in(ids))
            .fetchMap(RUN.ID, RUN.JOB_NAME);
    for (int i = 0; i < runs.size(); i++) {
      if (ids.size() != runs.size()
          || !stored.containsKey(ids.get(i))
          || !java.util.Objects.equals(stored.get(ids.get(i)), runs.get(i).run().job())) {
        throw new IllegalStateException(
            "the ids reported for a multi-row insert of runs do not match the stored rows");
      }
    }
  }

  /**
   * The run {@link #insert} just stored in {@code tx}, as a read of it returns it: built from what
   * was inserted, with only the ids of its step rows read (one narrow select, not the run row, its
   * snapshot or its values). Times are stored to the millisecond, so they are truncated here too.
   */
  public static Run created(DSLContext tx, long runId, NewRun run, RunStatus initial, Instant now) {
    Instant at = now.truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    Map<Integer, Long> ids =
        tx.select(RUN_STEP.POSITION, RUN_STEP.ID)
            .from(RUN_STEP)
            .where(RUN_STEP.RUN_ID.eq(runId))
            .fetchMap(RUN_STEP.POSITION, RUN_STEP.ID);
    Map<String, StepRun> kept = new java.util.HashMap<>();
    run.kept().forEach(step -> kept.put(step.name(), step));
    List<StepRun> attempts = new java.util.ArrayList<>();
    int position = 0;
    for (StepSpec step : run.template().steps()) {
      StepRun keep = kept.get(step.name());
      long id = ids.get(position);
      attempts.add(
          keep == null
              ? new StepRun(
                  id,
                  runId,
                  step.name(),
                  step.kind(),
                  position,
                  1,
                  StepStatus.PENDING,
                  null,
                  null,
                  null,
                  null,
                  null,
                  null,
                  null,
                  null,
                  0,
                  0)
              : new StepRun(
                  id,
                  runId,
                  step.name(),
                  step.kind(),
                  position,
                  1,
                  StepStatus.SUCCEEDED,
                  keep.exitCode(),
                  keptFrom(keep),
                  keep.startedAt(),
                  keep.finishedAt(),
                  null,
                  null,
                  null,
                  null,
                  0,
                  0));
      position++;
    }
    return new Run(
        runId,
        run.template(),
        run.templateVersion(),
        run.job(),
        run.trigger(),
        run.triggeredBy(),
        initial,
        run.params(),
        run.retryOf(),
        null,
        at,
        initial == RunStatus.RUNNING ? at : null,
        null,
        attempts,
        1);
  }

  private static String keptFrom(StepRun keep) {
    return "kept from run " + keep.runId();
  }

  /** The run a request started and the fingerprint of that request ({@link RequestedRuns}). */
  public record Requested(long runId, String fingerprint) {}

  /** The run {@code actor} started with request key {@code key}, if any. */
  static java.util.Optional<Requested> requested(DSLContext dsl, String actor, String key) {
    return dsl.select(RUN.ID, RUN.REQUEST_HASH)
        .from(RUN)
        .where(RUN.TRIGGERED_BY.eq(actor))
        .and(RUN.REQUEST_KEY.eq(key))
        .fetchOptional(r -> new Requested(r.value1(), r.value2()));
  }

  /** A run of a job that has not ended: waiting for its turn ({@code queued}) or active. */
  public record Unfinished(long id, boolean queued) {}

  /** Runs of a job that have not ended, oldest first (for concurrency policies). */
  public static List<Unfinished> unfinishedOfJob(DSLContext tx, String job) {
    return tx.select(RUN.ID, RUN.STATUS)
        .from(RUN)
        .where(RUN.JOB_NAME.eq(job))
        .and(RUN.STATUS.eq(RunStatus.QUEUED.name()).or(RUN.STATUS.in(RunRepository.ACTIVE)))
        .orderBy(RUN.ID)
        .fetch(r -> new Unfinished(r.value1(), RunStatus.QUEUED.name().equals(r.value2())));
  }
}
