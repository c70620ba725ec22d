package io.nightshift.scheduler.job;

import static io.nightshift.sql.Tables.JOB;
import static io.nightshift.sql.Tables.RUN;

import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.secrets.SecretCipher;
import io.nightshift.scheduler.secrets.StoredSecrets;
import io.nightshift.scheduler.store.Page;
import io.nightshift.scheduler.store.Sql;
import io.nightshift.scheduler.template.StoredTemplate;
import io.nightshift.scheduler.template.Template;
import io.nightshift.scheduler.template.TemplateRepository;
import io.nightshift.sql.tables.records.JobRecord;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.exception.DataAccessException;
import org.jooq.impl.DSL;

/**
 * Jobs: the source of truth every node schedules from. Changes are audited in the same transaction.
 */
public final class JobRepository {
  private final DSLContext dsl;

  public JobRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  public StoredJob create(JobSpec spec, String actor, Instant now) {
    try {
      long id =
          dsl.transactionResult(
              cfg -> {
                long jobId =
                    cfg.dsl()
                        .insertInto(JOB)
                        .set(JOB.NAME, spec.name())
                        .set(JOB.TEMPLATE_NAME, spec.template())
                        .set(JOB.BODY, stored(cfg.dsl(), spec))
                        .set(JOB.ENABLED, spec.enabled())
                        .set(JOB.PAUSED_BY, spec.enabled() ? null : actor)
                        .set(JOB.PAUSED_AT, spec.enabled() ? null : now)
                        .set(JOB.REVISION, 1)
                        .set(JOB.SCHEDULE_REVISION, 1)
                        .set(JOB.SCHEDULE_CHANGED_AT, now)
                        .set(JOB.SCHEDULE_NOTED_REVISION, 1)
                        .set(JOB.CREATED_AT, now)
                        .set(JOB.UPDATED_AT, now)
                        .returning(JOB.ID)
                        .fetchOne()
                        .getId();
                AuditLog.write(
                    cfg.dsl(),
                    now,
                    actor,
                    "job.create",
                    "job",
                    spec.name(),
                    shown(cfg.dsl(), spec));
                return jobId;
              });
      return find(spec.name()).filter(j -> j.id() == id).orElseThrow();
    } catch (DataAccessException e) {
      if (Sql.isDuplicateKey(e)) {
        throw new Conflict("job '" + spec.name() + "' already exists");
      }
      throw e;
    }
  }

  /**
   * Replaces the definition; {@code action} names the change in the audit (update, pause, resume).
   * A change of its schedule is noted apart (the revision and time of it): fires of the schedule
   * before it are not started at times the new one does not hold ({@link FireClaim}). The time
   * noted never goes back: of two concurrent changes, the one that takes the row last keeps the
   * later time even if its {@code now} was read first.
   */
  public StoredJob update(JobSpec spec, String action, String actor, Instant now) {
    dsl.transaction(
        cfg -> {
          JobRecord before =
              cfg.dsl().selectFrom(JOB).where(JOB.NAME.eq(spec.name())).forUpdate().fetchOne();
          if (before == null) {
            throw new NotFound("job", spec.name());
          }
          boolean rescheduled =
              !java.util.Objects.equals(
                  new JsonObject(before.getBody()).getValue("schedule"),
                  JobParser.body(spec).getValue("schedule"));
          int revision = before.getRevision() + 1;
          ScheduleChange last = lastScheduleChange(before);
          ScheduleChange noted =
              rescheduled
                  ? new ScheduleChange(revision, now.isAfter(last.at()) ? now : last.at())
                  : last;
          int changed =
              cfg.dsl()
                  .update(JOB)
                  .set(JOB.TEMPLATE_NAME, spec.template())
                  .set(JOB.BODY, stored(cfg.dsl(), spec))
                  .set(JOB.ENABLED, spec.enabled())
                  // Paused by whoever disabled it, when; kept while it stays paused.
                  .set(
                      JOB.PAUSED_BY,
                      spec.enabled()
                          ? DSL.inline((String) null)
                          : DSL.coalesce(JOB.PAUSED_BY, DSL.val(actor)))
                  .set(
                      JOB.PAUSED_AT,
                      spec.enabled()
                          ? DSL.val((Instant) null, JOB.PAUSED_AT)
                          : DSL.coalesce(JOB.PAUSED_AT, DSL.val(now, JOB.PAUSED_AT)))
                  .set(JOB.REVISION, revision)
                  .set(JOB.SCHEDULE_REVISION, noted.revision())
                  .set(JOB.SCHEDULE_CHANGED_AT, noted.at())
                  .set(JOB.SCHEDULE_NOTED_REVISION, revision)
                  .set(JOB.UPDATED_AT, now)
                  .where(JOB.NAME.eq(spec.name()))
                  .execute();
          if (changed == 0) {
            throw new NotFound("job", spec.name());
          }
          AuditLog.write(
              cfg.dsl(), now, actor, "job." + action, "job", spec.name(), shown(cfg.dsl(), spec));
        });
    return get(spec.name());
  }

  /** The revision whose change last changed a job's schedule, and when. */
  private record ScheduleChange(int revision, Instant at) {}

  /**
   * The last change of the row's schedule. A row whose last write did not note it (a node of a
   * version before V44 or V45 wrote it: {@code schedule_noted_revision} is not its revision) counts
   * its last change, of any kind, as its schedule's.
   */
  private static ScheduleChange lastScheduleChange(JobRecord row) {
    if (!java.util.Objects.equals(row.getScheduleNotedRevision(), row.getRevision())
        || row.getScheduleChangedAt() == null) {
      return new ScheduleChange(row.getRevision(), row.getUpdatedAt());
    }
    return new ScheduleChange(row.getScheduleRevision(), row.getScheduleChangedAt());
  }

  /** The job as its audit record shows it: secrets masked by its template's declarations. */
  private static JsonObject shown(DSLContext tx, JobSpec spec) {
    return JobParser.shown(spec, template(tx, spec));
  }

  /** The job's stored body: secret values (by its template) and webhook secrets encrypted. */
  private static String stored(DSLContext tx, JobSpec spec) {
    return StoredSecrets.job(SecretCipher.of(tx), JobParser.body(spec), template(tx, spec))
        .encode();
  }

  private static Template template(DSLContext tx, JobSpec spec) {
    return new TemplateRepository(tx)
        .find(spec.template())
        .map(StoredTemplate::template)
        .orElse(null);
  }

  /**
   * Deletes the job; returns its QUEUED runs as they were when it went (they wait for a slot of a
   * job that no longer exists: the caller cancels them). Its other runs are left as they are.
   */
  public List<Long> delete(String name, String actor, Instant now) {
    return dsl.transactionResult(
        cfg -> {
          if (cfg.dsl().deleteFrom(JOB).where(JOB.NAME.eq(name)).execute() == 0) {
            throw new NotFound("job", name);
          }
          AuditLog.write(cfg.dsl(), now, actor, "job.delete", "job", name, null);
          return cfg.dsl()
              .select(RUN.ID)
              .from(RUN)
              .where(RUN.JOB_NAME.eq(name))
              .and(RUN.STATUS.eq(RunStatus.QUEUED.name()))
              .orderBy(RUN.ID)
              .fetch(RUN.ID);
        });
  }

  public Optional<StoredJob> find(String name) {
    return dsl.selectFrom(JOB).where(JOB.NAME.eq(name)).fetchOptional(r -> map(dsl, r));
  }

  public Optional<StoredJob> find(long id) {
    return dsl.selectFrom(JOB).where(JOB.ID.eq(id)).fetchOptional(r -> map(dsl, r));
  }

  /** The jobs of these names that exist, in one read. */
  public Map<String, StoredJob> findAll(Collection<String> names) {
    Map<String, StoredJob> found = new LinkedHashMap<>();
    if (!names.isEmpty()) {
      dsl.selectFrom(JOB)
          .where(JOB.NAME.in(names))
          .forEach(r -> found.put(r.getName(), map(dsl, r)));
    }
    return found;
  }

  public StoredJob get(String name) {
    return find(name).orElseThrow(() -> new NotFound("job", name));
  }

  /** The job row locked until the transaction ends: fires of one job are claimed one at a time. */
  public static Optional<StoredJob> lock(DSLContext tx, long jobId) {
    return tx.selectFrom(JOB).where(JOB.ID.eq(jobId)).forUpdate().fetchOptional(r -> map(tx, r));
  }

  /**
   * The job row by name, locked until the transaction ends (see {@link #lock(DSLContext, long)}).
   */
  public static Optional<StoredJob> lock(DSLContext tx, String name) {
    return tx.selectFrom(JOB).where(JOB.NAME.eq(name)).forUpdate().fetchOptional(r -> map(tx, r));
  }

  public Page<StoredJob> list(String after, int limit) {
    var query =
        dsl.selectFrom(JOB).where(after == null ? JOB.NAME.isNotNull() : JOB.NAME.gt(after));
    List<StoredJob> rows = query.orderBy(JOB.NAME).limit(limit + 1).fetch(r -> map(dsl, r));
    return Page.of(rows, limit, StoredJob::name);
  }

  /** The jobs of a template, by name. */
  public List<StoredJob> ofTemplate(String template) {
    return dsl.selectFrom(JOB)
        .where(JOB.TEMPLATE_NAME.eq(template))
        .orderBy(JOB.NAME)
        .fetch(r -> map(dsl, r));
  }

  /** Every job, for scheduling at start and for the periodic reconcile. */
  public List<StoredJob> all() {
    return dsl.selectFrom(JOB).orderBy(JOB.NAME).fetch(r -> map(dsl, r));
  }

  /**
   * The rows of these jobs locked until the transaction ends, in id order. With {@code skipBusy},
   * the rows another transaction holds are not waited for but named ({@code busy}): the fire
   * queue's claims never wait on a job's row, so a row held long (a transaction of a node cut off
   * from the database mid-claim can hold it until the server drops its connection) holds back no
   * other job's fires; the busy ones are tried again. An id in neither is a job that does not
   * exist. Each row is read when its supplier is called: one job's unreadable secret ({@link
   * io.nightshift.scheduler.secrets.SecretKeyException}) must not fail the others.
   */
  public static Locked lockAll(DSLContext tx, Collection<Long> ids, boolean skipBusy) {
    Map<Long, java.util.function.Supplier<StoredJob>> rows = new LinkedHashMap<>();
    var locking = tx.selectFrom(JOB).where(JOB.ID.in(ids)).orderBy(JOB.ID).forUpdate();
    (skipBusy ? locking.skipLocked() : locking).forEach(r -> rows.put(r.getId(), () -> map(tx, r)));
    if (!skipBusy) {
      return new Locked(rows, java.util.Set.of());
    }
    java.util.Set<Long> missing = new java.util.HashSet<>(ids);
    missing.removeAll(rows.keySet());
    java.util.Set<Long> busy =
        missing.isEmpty()
            ? java.util.Set.of()
            : tx.select(JOB.ID).from(JOB).where(JOB.ID.in(missing)).fetchSet(JOB.ID);
    return new Locked(rows, busy);
  }

  /** See {@link #lockAll}. */
  public record Locked(
      Map<Long, java.util.function.Supplier<StoredJob>> rows, java.util.Set<Long> busy) {}

  private static StoredJob map(DSLContext dsl, JobRecord r) {
    ScheduleChange schedule = lastScheduleChange(r);
    return new StoredJob(
        r.getId(),
        JobParser.fromStored(
            r.getName(), r.getEnabled(), StoredSecrets.open(SecretCipher.of(dsl), r.getBody())),
        r.getRevision(),
        schedule.revision(),
        schedule.at(),
        r.getCreatedAt(),
        r.getUpdatedAt(),
        r.getPausedBy(),
        r.getPausedAt());
  }
}
