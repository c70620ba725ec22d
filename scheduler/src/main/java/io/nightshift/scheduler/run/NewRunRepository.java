package io.nightshift.scheduler.run;

import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;

import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.secrets.SecretCipher;
import io.nightshift.scheduler.secrets.StoredSecrets;
import io.nightshift.scheduler.template.StepSpec;
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
    SecretCipher cipher = SecretCipher.of(tx);
    long runId =
        tx.insertInto(RUN)
            .set(RUN.TEMPLATE_NAME, run.template().name())
            .set(RUN.TEMPLATE_VERSION, run.templateVersion())
            .set(RUN.TEMPLATE_SNAPSHOT, StoredSecrets.template(cipher, run.template()))
            .set(RUN.JOB_NAME, run.job())
            .set(RUN.TRIGGER_KIND, run.trigger().json())
            .set(RUN.TRIGGERED_BY, run.triggeredBy())
            .set(RUN.STATUS, initial.name())
            .set(RUN.PARAMS, StoredSecrets.params(cipher, run.template(), run.params()).encode())
            .set(RUN.RETRY_OF, run.retryOf())
            .set(RUN.REVISION, 1)
            .set(RUN.CREATED_AT, now)
            .set(RUN.STARTED_AT, initial == RunStatus.RUNNING ? now : null)
            .returning(RUN.ID)
            .fetchOne()
            .getId();
    var insert =
        tx.insertInto(
            RUN_STEP,
            RUN_STEP.RUN_ID,
            RUN_STEP.NAME,
            RUN_STEP.KIND,
            RUN_STEP.POSITION,
            RUN_STEP.ATTEMPT,
            RUN_STEP.STATUS,
            RUN_STEP.REVISION);
    Map<String, StepRun> kept = new java.util.HashMap<>();
    run.kept().forEach(step -> kept.put(step.name(), step));
    int position = 0;
    for (StepSpec step : run.template().steps()) {
      StepRun keep = kept.get(step.name());
      if (keep != null) {
        tx.insertInto(RUN_STEP)
            .set(RUN_STEP.RUN_ID, runId)
            .set(RUN_STEP.NAME, step.name())
            .set(RUN_STEP.KIND, step.kind().json())
            .set(RUN_STEP.POSITION, position++)
            .set(RUN_STEP.ATTEMPT, 1)
            .set(RUN_STEP.STATUS, StepStatus.SUCCEEDED.name())
            .set(RUN_STEP.EXIT_CODE, keep.exitCode())
            .set(RUN_STEP.ERROR, keptFrom(keep))
            .set(RUN_STEP.STARTED_AT, keep.startedAt())
            .set(RUN_STEP.FINISHED_AT, keep.finishedAt())
            .set(RUN_STEP.REVISION, 1)
            .execute();
        continue;
      }
      insert =
          insert.values(
              runId, step.name(), step.kind().json(), position++, 1, StepStatus.PENDING.name(), 1);
    }
    if (kept.size() < run.template().steps().size()) {
      insert.execute();
    }
    RunEventRepository.add(tx, runId, RunEvents.run(runId, initial, null, null, now), now);
    AuditLog.write(
        tx,
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
                new JsonObject(new LinkedHashMap<>(Params.masked(run.template(), run.params())))));
    return runId;
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

  /** Runs of a job that have not ended, oldest first (for concurrency policies). */
  public static List<Long> unfinishedOfJob(DSLContext tx, String job) {
    return tx.select(RUN.ID)
        .from(RUN)
        .where(RUN.JOB_NAME.eq(job))
        .and(RUN.STATUS.eq(RunStatus.QUEUED.name()).or(RUN.STATUS.in(RunRepository.ACTIVE)))
        .orderBy(RUN.ID)
        .fetch(RUN.ID);
  }
}
