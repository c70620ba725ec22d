package io.nightshift.scheduler.logs;

import static io.nightshift.sql.Tables.LOG_LINE;
import static io.nightshift.sql.Tables.RUN_STEP;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.Page;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.Row7;
import org.jooq.impl.DSL;

/**
 * Persisted log lines. Inserts are idempotent on {@code (step_run_id, seq)}: a replayed line is
 * ignored, never stored twice. Pages are in {@code (ts, step_run_id, seq)} order with an opaque
 * cursor. Blocking (JDBC): call from worker threads, never from an event loop.
 */
public final class LogStore {
  /** Rows per multi-row INSERT statement. */
  public static final int ROWS_PER_STATEMENT = 1000;

  public static final int MAX_PAGE = 10_000;

  private final DSLContext dsl;

  public LogStore(Database database) {
    this(database.dsl());
  }

  public LogStore(DSLContext dsl) {
    this.dsl = dsl;
  }

  /**
   * Stores the lines in one transaction, {@value #ROWS_PER_STATEMENT} rows per statement ({@code
   * INSERT IGNORE}); lines already stored are skipped. Returns the number of rows actually added.
   * Timestamps are kept to the millisecond, as the JSON carries them.
   */
  public int insert(List<LogLine> lines) {
    if (lines.isEmpty()) {
      return 0;
    }
    return dsl.transactionResult(
        tx -> {
          DSLContext db = tx.dsl();
          int added = 0;
          for (int from = 0; from < lines.size(); from += ROWS_PER_STATEMENT) {
            List<LogLine> chunk =
                lines.subList(from, Math.min(lines.size(), from + ROWS_PER_STATEMENT));
            List<Row7<Long, Long, Long, Integer, String, Instant, String>> rows =
                new ArrayList<>(chunk.size());
            for (LogLine l : chunk) {
              // Values typed by their column, so they go through its binding (UTC text).
              rows.add(
                  DSL.row(
                      DSL.val(l.runId(), LOG_LINE.RUN_ID),
                      DSL.val(l.stepRunId(), LOG_LINE.STEP_RUN_ID),
                      DSL.val(l.seq(), LOG_LINE.SEQ),
                      DSL.val(l.attempt(), LOG_LINE.ATTEMPT),
                      DSL.val(l.stream(), LOG_LINE.STREAM),
                      DSL.val(l.ts().truncatedTo(ChronoUnit.MILLIS), LOG_LINE.TS),
                      DSL.val(l.line(), LOG_LINE.LINE)));
            }
            added +=
                db.insertInto(
                        LOG_LINE,
                        LOG_LINE.RUN_ID,
                        LOG_LINE.STEP_RUN_ID,
                        LOG_LINE.SEQ,
                        LOG_LINE.ATTEMPT,
                        LOG_LINE.STREAM,
                        LOG_LINE.TS,
                        LOG_LINE.LINE)
                    .valuesOfRows(rows)
                    .onDuplicateKeyIgnore()
                    .execute();
          }
          return added;
        });
  }

  /**
   * Lines of a run in {@code (ts, step_run_id, seq)} order, after {@code afterCursor} (null: from
   * the start), at most {@code limit}. {@code stepName} (nullable) keeps the lines of every attempt
   * of that step. {@code next} is null on the last page.
   *
   * @throws io.nightshift.scheduler.error.Invalid when the cursor or limit is malformed
   */
  public Page<LogLine> page(long runId, String stepName, String afterCursor, int limit) {
    if (limit < 1 || limit > MAX_PAGE) {
      throw io.nightshift.scheduler.error.Invalid.of(
          "limit", "must be between 1 and " + MAX_PAGE + ", got " + limit);
    }
    Condition where = LOG_LINE.RUN_ID.eq(runId);
    if (stepName != null) {
      where = where.and(RUN_STEP.NAME.eq(stepName));
    }
    if (afterCursor != null) {
      where = where.and(after(LogCursor.decode(afterCursor)));
    }
    List<LogLine> rows =
        dsl.select(
                LOG_LINE.RUN_ID,
                LOG_LINE.STEP_RUN_ID,
                RUN_STEP.NAME,
                LOG_LINE.ATTEMPT,
                LOG_LINE.SEQ,
                LOG_LINE.TS,
                LOG_LINE.STREAM,
                LOG_LINE.LINE)
            .from(LOG_LINE)
            .leftJoin(RUN_STEP)
            .on(RUN_STEP.ID.eq(LOG_LINE.STEP_RUN_ID))
            .where(where)
            .orderBy(LOG_LINE.TS, LOG_LINE.STEP_RUN_ID, LOG_LINE.SEQ)
            .limit(limit + 1)
            .fetch(LogStore::toLine);
    return Page.of(rows, limit, LogCursor::of);
  }

  /** Stored lines of one attempt with {@code after < seq < before}, in order. */
  public List<LogLine> range(long stepRunId, long after, long before) {
    return dsl.select(
            LOG_LINE.RUN_ID,
            LOG_LINE.STEP_RUN_ID,
            RUN_STEP.NAME,
            LOG_LINE.ATTEMPT,
            LOG_LINE.SEQ,
            LOG_LINE.TS,
            LOG_LINE.STREAM,
            LOG_LINE.LINE)
        .from(LOG_LINE)
        .leftJoin(RUN_STEP)
        .on(RUN_STEP.ID.eq(LOG_LINE.STEP_RUN_ID))
        .where(LOG_LINE.STEP_RUN_ID.eq(stepRunId))
        .and(LOG_LINE.SEQ.gt(after))
        .and(LOG_LINE.SEQ.lt(before))
        .orderBy(LOG_LINE.SEQ)
        .fetch(LogStore::toLine);
  }

  /** How many lines of the run are stored. */
  public long count(long runId) {
    return dsl.fetchCount(LOG_LINE, LOG_LINE.RUN_ID.eq(runId));
  }

  /**
   * Deletes lines older than {@code cutoff}, {@code batch} rows per statement (each its own short
   * transaction, so retention never holds long locks). Returns how many rows were deleted.
   */
  public int deleteOlderThan(Instant cutoff, int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be positive, got " + batch);
    }
    int total = 0;
    while (true) {
      int deleted = dsl.deleteFrom(LOG_LINE).where(LOG_LINE.TS.lt(cutoff)).limit(batch).execute();
      total += deleted;
      if (deleted < batch) {
        return total;
      }
    }
  }

  /** Lines strictly after the cursor in (ts, step_run_id, seq) order, written to use the index. */
  private static Condition after(LogCursor c) {
    Instant ts = c.ts();
    return LOG_LINE
        .TS
        .ge(ts)
        .and(
            LOG_LINE
                .TS
                .gt(ts)
                .or(
                    LOG_LINE
                        .TS
                        .eq(ts)
                        .and(
                            LOG_LINE
                                .STEP_RUN_ID
                                .gt(c.stepRunId())
                                .or(
                                    LOG_LINE
                                        .STEP_RUN_ID
                                        .eq(c.stepRunId())
                                        .and(LOG_LINE.SEQ.gt(c.seq()))))));
  }

  private static LogLine toLine(Record r) {
    String step = r.get(RUN_STEP.NAME);
    return new LogLine(
        r.get(LOG_LINE.RUN_ID),
        r.get(LOG_LINE.STEP_RUN_ID),
        // A line whose step row is gone is still shown rather than hidden.
        step == null ? "" : step,
        r.get(LOG_LINE.ATTEMPT),
        r.get(LOG_LINE.SEQ),
        r.get(LOG_LINE.TS),
        r.get(LOG_LINE.STREAM),
        r.get(LOG_LINE.LINE));
  }
}
