package io.nightshift.scheduler.logs;

import static io.nightshift.sql.Tables.LOG_LINE;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.Page;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.SortField;
import org.jooq.Table;
import org.jooq.impl.DSL;

/**
 * A run's stored log read backwards: its last lines (what a reader sees first) and the page just
 * before a cursor (what a reader who scrolls up sees next). A page is still in the store's order,
 * oldest line first, so a reader puts it above what it has; {@code next} is the cursor of the
 * page's first line, to pass back for the page before it, and null at the start of the log.
 *
 * <p>Bounded like a forward page: both queries walk the run index {@code (run_id, ts, step_run_id,
 * seq)} backwards from the cursor and stop at the limit and the char budget; nothing sorts the run.
 * Blocking (JDBC): call from worker threads.
 */
public final class LogTailStore {
  /** The run index walked backwards. */
  static final List<SortField<?>> REVERSE_ORDER =
      LogStore.INDEX_ORDER.stream().<SortField<?>>map(f -> f.$field().desc()).toList();

  /**
   * The log table read through the run index: with a step filter and no cursor, MariaDB may
   * otherwise pick the primary key (step_run_id, seq) and sort the whole step (seen: a filesort of
   * 100,000 rows for a tail page).
   */
  static final Table<?> BY_RUN = LOG_LINE.useIndex("idx_log_line_run");

  private final DSLContext dsl;
  private final LogStore store;

  public LogTailStore(Database database) {
    this(new LogStore(database));
  }

  public LogTailStore(LogStore store) {
    this.store = store;
    this.dsl = store.dsl();
  }

  /**
   * Up to {@code limit} lines of the run [of the step] just before {@code beforeCursor} (null: the
   * last lines), at most {@link LogStore#PAGE_CHARS} chars of text, oldest first.
   *
   * @throws io.nightshift.scheduler.error.Invalid when the cursor or limit is malformed
   */
  public Page<LogLine> before(long runId, String stepName, String beforeCursor, int limit) {
    if (limit < 1 || limit > LogStore.MAX_PAGE) {
      throw io.nightshift.scheduler.error.Invalid.of(
          "limit", "must be between 1 and " + LogStore.MAX_PAGE + ", got " + limit);
    }
    LogCursor cursor = beforeCursor == null ? null : LogCursor.decode(beforeCursor, "before");
    Map<Long, String> steps = store.stepNames(runId);
    Condition where = store.pageCondition(runId, steps, stepName, null, null);
    if (where == null) {
      return new Page<>(List.of(), null);
    }
    if (cursor != null) {
      where =
          where.and(LogStore.beyond(cursor.ts(), cursor.stepRunId(), cursor.seq(), false, false));
    }
    PageFit fit =
        PageFit.of(store.keysQuery(BY_RUN, where, REVERSE_ORDER, limit + 1).fetch(), limit);
    if (fit.last() == null) {
      return new Page<>(List.of(), null);
    }
    List<LogLine> lines =
        new ArrayList<>(
            dsl.select(LogStore.LINE_FIELDS)
                .from(BY_RUN)
                .where(where)
                .and(fit.bound(true))
                .orderBy(REVERSE_ORDER)
                .limit(fit.lines())
                .fetch(r -> LogStore.toLine(r, steps)));
    Collections.reverse(lines);
    return new Page<>(lines, fit.more() ? LogCursor.of(lines.get(0)) : null);
  }

  /**
   * The highest seq of the attempt's stored lines at or before the cursor (0: none): all a reader
   * who has read up to the cursor holds of that attempt (an attempt numbers its lines in time
   * order, so what lies before a cursor is a prefix of them).
   */
  public long lastSeqUpTo(long stepRunId, LogCursor cursor) {
    if (stepRunId == cursor.stepRunId()) {
      return cursor.seq();
    }
    Long seq =
        dsl.select(DSL.max(LOG_LINE.SEQ))
            .from(LOG_LINE)
            .where(LOG_LINE.STEP_RUN_ID.eq(stepRunId))
            .and(LogStore.beyond(cursor.ts(), cursor.stepRunId(), cursor.seq(), false, true))
            .fetchOne(0, Long.class);
    return seq == null ? 0 : seq;
  }
}
