package io.nightshift.scheduler.run;

import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;

import io.nightshift.scheduler.secrets.SecretCipher;
import io.nightshift.scheduler.secrets.StoredSecrets;
import io.nightshift.scheduler.store.Page;
import io.nightshift.scheduler.template.StepKind;
import io.nightshift.scheduler.template.Template;
import io.nightshift.sql.tables.records.RunRecord;
import io.nightshift.sql.tables.records.RunStepRecord;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.impl.DSL;

/**
 * The reads of {@link RunRepository}: a run with its step attempts, a run alone, a page of the run
 * list, one attempt, and how their rows become {@link Run} and {@link StepRun} records. Reads go
 * through the context the repository writes through (its transaction when bound to one), so a
 * change reads what it wrote.
 */
final class RunReadRepository {
  private final DSLContext dsl;

  /**
   * Parsed template snapshots by run id. A run's snapshot never changes, so an entry is never
   * stale; the map only bounds how many are kept (the active runs' are the ones read again and
   * again).
   */
  private final Map<Long, Template> snapshots;

  private volatile Boolean embedded;

  RunReadRepository(DSLContext dsl) {
    this(dsl, snapshotCache());
  }

  private RunReadRepository(DSLContext dsl, Map<Long, Template> snapshots) {
    this.dsl = dsl;
    this.snapshots = snapshots;
  }

  /** These reads through {@code tx} (a transaction), keeping the same snapshots. */
  RunReadRepository in(DSLContext tx) {
    return new RunReadRepository(tx, snapshots);
  }

  private static Map<Long, Template> snapshotCache() {
    return java.util.Collections.synchronizedMap(
        new LinkedHashMap<>(256, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Long, Template> eldest) {
            return size() > 4096;
          }
        });
  }

  Optional<Run> find(long id) {
    RunRecord row = dsl.selectFrom(RUN).where(RUN.ID.eq(id)).fetchOne();
    if (row == null) {
      return Optional.empty();
    }
    List<StepRun> attempts =
        dsl.selectFrom(RUN_STEP)
            .where(RUN_STEP.RUN_ID.eq(id))
            .orderBy(RUN_STEP.POSITION, RUN_STEP.ATTEMPT)
            .fetch(RunReadRepository::step);
    return Optional.of(run(row, attempts));
  }

  /** The run without its step attempts (what never changes, its status and times). */
  Optional<Run> header(long id) {
    return Optional.ofNullable(headers(List.of(id)).get(id));
  }

  /** The runs of these ids (those that exist) without their step attempts, in one read. */
  Map<Long, Run> headers(java.util.Collection<Long> ids) {
    Map<Long, Run> found = new LinkedHashMap<>();
    if (!ids.isEmpty()) {
      dsl.selectFrom(RUN)
          .where(RUN.ID.in(ids))
          .forEach(r -> found.put(r.getId(), run(r, List.of())));
    }
    return found;
  }

  /**
   * What the metrics of ended runs need (template, job, their times and their attempts'), in one
   * read that leaves the template snapshots and the values alone: by run id, for the ids that
   * exist.
   */
  Map<Long, RunTimings> timings(java.util.Collection<Long> ids) {
    Map<Long, RunTimings> found = new LinkedHashMap<>();
    if (ids.isEmpty()) {
      return found;
    }
    var rows =
        dsl.select(
                RUN.ID,
                RUN.TEMPLATE_NAME,
                RUN.JOB_NAME,
                RUN.STARTED_AT,
                RUN.FINISHED_AT,
                RUN_STEP.NAME,
                RUN_STEP.STARTED_AT,
                RUN_STEP.FINISHED_AT)
            .from(RUN)
            .leftJoin(RUN_STEP)
            .on(RUN_STEP.RUN_ID.eq(RUN.ID))
            .where(RUN.ID.in(ids))
            .orderBy(RUN.ID, RUN_STEP.POSITION, RUN_STEP.ATTEMPT)
            .fetch();
    Map<Long, List<RunTimings.Attempt>> attempts = new LinkedHashMap<>();
    for (var r : rows) {
      List<RunTimings.Attempt> of =
          attempts.computeIfAbsent(r.get(RUN.ID), id -> new java.util.ArrayList<>());
      if (r.get(RUN_STEP.NAME) != null) {
        of.add(
            new RunTimings.Attempt(
                r.get(RUN_STEP.NAME), r.get(RUN_STEP.STARTED_AT), r.get(RUN_STEP.FINISHED_AT)));
      }
      if (!found.containsKey(r.get(RUN.ID))) {
        found.put(
            r.get(RUN.ID),
            new RunTimings(
                r.get(RUN.TEMPLATE_NAME),
                r.get(RUN.JOB_NAME),
                r.get(RUN.STARTED_AT),
                r.get(RUN.FINISHED_AT),
                of));
      }
    }
    return found;
  }

  /** One step attempt by its id. */
  StepRun attempt(long stepRunId) {
    return dsl.selectFrom(RUN_STEP)
        .where(RUN_STEP.ID.eq(stepRunId))
        .fetchOne(RunReadRepository::step);
  }

  /**
   * Newest first, without step attempts. A keyset page: it walks one index from {@code before} and
   * stops at the limit, whatever the number of runs. With a filter, it reads the index {@code
   * (column, id)} of one filtered column, named as a hint, in the order of that index (the column
   * is fixed by the filter, so the order is the same): left to choose, MariaDB read such an index
   * from its newest entry down to {@code before} (0.6 s for a deep page of 100,000 runs, 0.5 ms
   * with the hint) and H2 sorted every match (1.5 s for 10,000 FAILED runs). Several statuses at
   * once are left to the optimizer.
   */
  Page<Run> list(RunFilter filter) {
    Condition where = DSL.noCondition();
    Field<String> column = null;
    String index = null;
    if (!filter.statuses().isEmpty()) {
      where = where.and(RUN.STATUS.in(filter.statuses().stream().map(Enum::name).toList()));
      if (filter.statuses().size() == 1) {
        column = RUN.STATUS;
        index = "idx_run_status";
      }
    }
    if (filter.template() != null) {
      where = where.and(RUN.TEMPLATE_NAME.eq(filter.template()));
      column = RUN.TEMPLATE_NAME;
      index = "idx_run_template";
    }
    if (filter.job() != null) {
      where = where.and(RUN.JOB_NAME.eq(filter.job()));
      column = RUN.JOB_NAME;
      index = "idx_run_job";
    }
    if (filter.since() != null) {
      where = where.and(RUN.CREATED_AT.ge(filter.since()));
    }
    if (filter.until() != null) {
      where = where.and(RUN.CREATED_AT.lt(filter.until()));
    }
    if (filter.before() != null) {
      where = where.and(RUN.ID.lt(filter.before()));
    }
    List<Run> rows =
        dsl.selectFrom(
                index == null ? RUN : (embedded() ? RUN.useIndex(index) : RUN.forceIndex(index)))
            .where(where)
            .orderBy(
                column == null ? List.of(RUN.ID.desc()) : List.of(column.desc(), RUN.ID.desc()))
            .limit(filter.limit() + 1)
            .fetch(r -> run(r, List.of()));
    return Page.of(rows, filter.limit(), r -> String.valueOf(r.id()));
  }

  /**
   * Whether the store is H2, which takes {@code USE INDEX} but not MariaDB's {@code FORCE INDEX}.
   */
  private boolean embedded() {
    if (embedded == null) {
      embedded = dsl.connectionResult(c -> c.getMetaData().getURL().startsWith("jdbc:h2:"));
    }
    return embedded;
  }

  private Run run(RunRecord r, List<StepRun> attempts) {
    Template template = snapshots.get(r.getId());
    if (template == null) {
      template =
          StoredSecrets.template(
              SecretCipher.of(dsl), r.getTemplateSnapshot(), r.getTemplateName());
      snapshots.put(r.getId(), template);
    }
    Map<String, String> params = StoredSecrets.params(SecretCipher.of(dsl), r.getParams());
    return new Run(
        r.getId(),
        template,
        r.getTemplateVersion(),
        r.getJobName(),
        Trigger.fromJson(r.getTriggerKind()),
        r.getTriggeredBy(),
        RunStatus.valueOf(r.getStatus()),
        params,
        r.getRetryOf(),
        r.getError(),
        r.getCreatedAt(),
        r.getStartedAt(),
        r.getFinishedAt(),
        attempts,
        r.getRevision());
  }

  private static StepRun step(RunStepRecord r) {
    return new StepRun(
        r.getId(),
        r.getRunId(),
        r.getName(),
        StepKind.fromJson(r.getKind()).orElseThrow(),
        r.getPosition(),
        r.getAttempt(),
        StepStatus.valueOf(r.getStatus()),
        r.getExitCode(),
        r.getError(),
        r.getStartedAt(),
        r.getFinishedAt(),
        r.getNotBefore(),
        r.getNode(),
        r.getPid(),
        r.getPidStartedAt(),
        r.getLineCount(),
        r.getLinesDropped());
  }
}
