package io.nightshift.scheduler.logs;

import static io.nightshift.sql.Tables.LOG_LINE;
import static io.nightshift.sql.Tables.RUN_STEP;

import io.nightshift.executor.Instants;
import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.Page;
import io.nightshift.scheduler.store.Retention;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.Comparator;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record;
import org.jooq.Record4;
import org.jooq.ResultQuery;
import org.jooq.Row7;
import org.jooq.SortField;
import org.jooq.Table;
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

  /**
   * Most chars of line text in one page (a page of {@value #MAX_PAGE} lines of the longest allowed
   * length would be gigabytes); a longer first line is still returned whole.
   */
  public static final long PAGE_CHARS = 4L * 1024 * 1024;

  private final DSLContext dsl;

  public LogStore(Database database) {
    this(database.dsl());
  }

  public LogStore(DSLContext dsl) {
    this.dsl = dsl;
  }

  DSLContext dsl() {
    return dsl;
  }

  /**
   * Stores the lines in one transaction, {@value #ROWS_PER_STATEMENT} rows per statement ({@code
   * INSERT IGNORE}); lines already stored are skipped. Returns the number of rows actually added.
   * Timestamps are kept to the millisecond, as the JSON carries them.
   *
   * <p>jOOQ renders each statement shape once (cached by row count); the values are bound straight
   * on the JDBC statement. Building and binding 7,000 jOOQ values per statement made inserts about
   * twice as slow as plain JDBC, and this is the hot path of the log pipeline.
   */
  public int insert(List<LogLine> lines) {
    if (lines.isEmpty()) {
      return 0;
    }
    return dsl.transactionResult(
        tx ->
            tx.dsl()
                .connectionResult(
                    connection -> {
                      int added = 0;
                      for (int from = 0; from < lines.size(); from += ROWS_PER_STATEMENT) {
                        List<LogLine> chunk =
                            lines.subList(from, Math.min(lines.size(), from + ROWS_PER_STATEMENT));
                        try (PreparedStatement statement =
                            connection.prepareStatement(insertSql(chunk.size()))) {
                          int i = 1;
                          for (LogLine l : chunk) {
                            statement.setLong(i++, l.runId());
                            statement.setLong(i++, l.stepRunId());
                            statement.setLong(i++, l.seq());
                            statement.setInt(i++, l.attempt());
                            statement.setString(i++, l.stream());
                            statement.setString(i++, utcText(l.ts()));
                            statement.setString(i++, l.line());
                          }
                          added += statement.executeUpdate();
                        }
                      }
                      return added;
                    }));
  }

  /**
   * DATETIME values are bound as UTC text with milliseconds ({@code 2026-11-22 03:30:01.123}),
   * exactly as {@code io.nightshift.sql.binding.UtcInstantBinding} does for every jOOQ query (exact
   * on MariaDB, MySQL and H2; Connector/J would drop the fraction of a bound timestamp on MariaDB).
   * Written from {@link Instants#format}, which is hand-made for this hot path.
   */
  static String utcText(Instant ts) {
    String iso = Instants.format(ts);
    if (iso.length() != 24) {
      return UTC_TEXT.format(ts); // outside years 1000-9999
    }
    char[] out = new char[23];
    iso.getChars(0, 23, out, 0);
    out[10] = ' ';
    return new String(out);
  }

  private static final DateTimeFormatter UTC_TEXT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  private final Map<Integer, String> insertSql = new ConcurrentHashMap<>();

  private String insertSql(int rows) {
    return insertSql.computeIfAbsent(
        rows,
        n -> {
          Row7<Long, Long, Long, Integer, String, Instant, String> placeholders =
              DSL.row(
                  DSL.val(null, LOG_LINE.RUN_ID),
                  DSL.val(null, LOG_LINE.STEP_RUN_ID),
                  DSL.val(null, LOG_LINE.SEQ),
                  DSL.val(null, LOG_LINE.ATTEMPT),
                  DSL.val(null, LOG_LINE.STREAM),
                  DSL.val(null, LOG_LINE.TS),
                  DSL.val(null, LOG_LINE.LINE));
          return dsl.insertInto(
                  LOG_LINE,
                  LOG_LINE.RUN_ID,
                  LOG_LINE.STEP_RUN_ID,
                  LOG_LINE.SEQ,
                  LOG_LINE.ATTEMPT,
                  LOG_LINE.STREAM,
                  LOG_LINE.TS,
                  LOG_LINE.LINE)
              .valuesOfRows(Collections.nCopies(n, placeholders))
              .onDuplicateKeyIgnore()
              .getSQL();
        });
  }

  /**
   * Lines of a run in {@code (ts, step_run_id, seq)} order, after {@code afterCursor} (null: from
   * the start), at most {@code limit} and at most {@value #PAGE_CHARS} chars of line text (always
   * at least one line). {@code stepName} (nullable) keeps the lines of every attempt of that step;
   * {@code contains} (nullable) those whose text contains it, ignoring case. {@code next} is null
   * on the last page.
   *
   * <p>Bounded whatever the run's size: both queries walk the index {@code idx_log_line_run
   * (run_id, ts, step_run_id, seq)} in order and stop at the limit (no sort of the run's lines):
   * the first reads only the keys and lengths of up to {@code limit + 1} lines, the second the text
   * of the lines that fit {@value #PAGE_CHARS} chars. Step names come from the run's few step rows.
   *
   * @throws io.nightshift.scheduler.error.Invalid when the cursor or limit is malformed
   */
  public Page<LogLine> page(long runId, String stepName, String afterCursor, int limit) {
    return page(runId, stepName, afterCursor, null, limit);
  }

  /** Like {@link #page(long, String, String, int)}, keeping lines that contain {@code contains}. */
  public Page<LogLine> page(
      long runId, String stepName, String afterCursor, String contains, int limit) {
    if (limit < 1 || limit > MAX_PAGE) {
      throw io.nightshift.scheduler.error.Invalid.of(
          "limit", "must be between 1 and " + MAX_PAGE + ", got " + limit);
    }
    Map<Long, String> steps = stepNames(runId);
    Condition where = pageCondition(runId, steps, stepName, afterCursor, contains);
    if (where == null) {
      return new Page<>(List.of(), null);
    }
    // Keys and sizes first (a few bytes a line): how many lines fit the page.
    PageFit fit = PageFit.of(keysQuery(where, limit + 1).fetch(), limit);
    if (fit.last() == null) {
      return new Page<>(List.of(), null);
    }
    List<LogLine> lines =
        dsl.select(LINE_FIELDS)
            .from(LOG_LINE)
            .where(where)
            .and(fit.bound(false))
            .orderBy(INDEX_ORDER)
            .limit(fit.lines())
            .fetch(r -> toLine(r, steps));
    return new Page<>(lines, fit.more() ? LogCursor.of(lines.get(lines.size() - 1)) : null);
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

  /**
   * Reads one row of the log table, giving up after {@code timeout} (rounded up to whole seconds,
   * the unit of JDBC query timeouts): the readiness probe of the log store.
   */
  public void probe(java.time.Duration timeout) {
    int seconds = (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
    dsl.selectOne().from(LOG_LINE).limit(1).queryTimeout(seconds).fetch();
  }

  /** How many lines of a step attempt are stored (so far: lines reach the store late). */
  public long countOfStep(long stepRunId) {
    return dsl.fetchCount(LOG_LINE, LOG_LINE.STEP_RUN_ID.eq(stepRunId));
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
    return Retention.repeat(
        batch, () -> dsl.deleteFrom(LOG_LINE).where(LOG_LINE.TS.lt(cutoff)).limit(batch).execute());
  }

  /**
   * The order of the index {@code (run_id, ts, step_run_id, seq)}. {@code run_id} is fixed by every
   * query, so it changes nothing, but it lets H2 see that the index already gives the order (H2
   * sorted the whole run otherwise: 4 s a page on a million lines).
   */
  static final List<SortField<?>> INDEX_ORDER =
      List.of(
          LOG_LINE.RUN_ID.asc(), LOG_LINE.TS.asc(), LOG_LINE.STEP_RUN_ID.asc(), LOG_LINE.SEQ.asc());

  /** What a page returns of each line. */
  static final List<Field<?>> LINE_FIELDS =
      List.of(
          LOG_LINE.RUN_ID,
          LOG_LINE.STEP_RUN_ID,
          LOG_LINE.ATTEMPT,
          LOG_LINE.SEQ,
          LOG_LINE.TS,
          LOG_LINE.STREAM,
          LOG_LINE.LINE);

  /**
   * What a page reads: the run's lines [of the step] [containing the text] after the cursor; null
   * when the run has no step of that name.
   */
  Condition pageCondition(
      long runId, Map<Long, String> steps, String stepName, String afterCursor, String contains) {
    Condition where = LOG_LINE.RUN_ID.eq(runId);
    if (afterCursor != null) {
      where = where.and(after(LogCursor.decode(afterCursor)));
    }
    if (stepName != null) {
      List<Long> ids =
          steps.entrySet().stream()
              .filter(e -> e.getValue().equals(stepName))
              .map(Map.Entry::getKey)
              .toList();
      if (ids.isEmpty()) {
        return null;
      }
      where = where.and(LOG_LINE.STEP_RUN_ID.in(ids));
    }
    if (contains != null && !contains.isEmpty()) {
      where = where.and(LOG_LINE.LINE.containsIgnoreCase(contains));
    }
    return where;
  }

  /** Keys and text lengths of the first {@code rows} lines matching, in index order. */
  ResultQuery<Record4<Instant, Long, Long, Integer>> keysQuery(Condition where, int rows) {
    return keysQuery(LOG_LINE, where, INDEX_ORDER, rows);
  }

  /** Keys and text lengths of the first {@code rows} lines matching, in the given order. */
  ResultQuery<Record4<Instant, Long, Long, Integer>> keysQuery(
      Table<?> from, Condition where, List<SortField<?>> order, int rows) {
    return dsl.select(
            LOG_LINE.TS, LOG_LINE.STEP_RUN_ID, LOG_LINE.SEQ, DSL.charLength(LOG_LINE.LINE))
        .from(from)
        .where(where)
        .orderBy(order)
        .limit(rows);
  }

  /** Names of the run's step rows by id (a run has a few). */
  Map<Long, String> stepNames(long runId) {
    Map<Long, String> names = new HashMap<>();
    dsl.select(RUN_STEP.ID, RUN_STEP.NAME)
        .from(RUN_STEP)
        .where(RUN_STEP.RUN_ID.eq(runId))
        .forEach(r -> names.put(r.value1(), r.value2()));
    return names;
  }

  /**
   * Lines past the key {@code (ts, stepRunId, seq)} in (ts, step_run_id, seq) order: later ones
   * ({@code forward}) or earlier ones, the key itself included or not. Written so that both
   * databases walk the run index from the key.
   */
  static Condition beyond(
      Instant ts, long stepRunId, long seq, boolean forward, boolean inclusive) {
    Comparator strict = forward ? Comparator.GREATER : Comparator.LESS;
    Comparator loose = forward ? Comparator.GREATER_OR_EQUAL : Comparator.LESS_OR_EQUAL;
    return LOG_LINE
        .TS
        .compare(loose, ts)
        .and(
            LOG_LINE
                .TS
                .compare(strict, ts)
                .or(
                    LOG_LINE
                        .TS
                        .eq(ts)
                        .and(
                            LOG_LINE
                                .STEP_RUN_ID
                                .compare(strict, stepRunId)
                                .or(
                                    LOG_LINE
                                        .STEP_RUN_ID
                                        .eq(stepRunId)
                                        .and(
                                            LOG_LINE.SEQ.compare(
                                                inclusive ? loose : strict, seq))))));
  }

  /** Lines strictly after the cursor in (ts, step_run_id, seq) order. */
  private static Condition after(LogCursor c) {
    return beyond(c.ts(), c.stepRunId(), c.seq(), true, false);
  }

  static LogLine toLine(Record r, Map<Long, String> steps) {
    // A line whose step row is gone is still shown rather than hidden.
    String step = steps.getOrDefault(r.get(LOG_LINE.STEP_RUN_ID), "");
    return new LogLine(
        r.get(LOG_LINE.RUN_ID),
        r.get(LOG_LINE.STEP_RUN_ID),
        step,
        r.get(LOG_LINE.ATTEMPT),
        r.get(LOG_LINE.SEQ),
        r.get(LOG_LINE.TS),
        r.get(LOG_LINE.STREAM),
        r.get(LOG_LINE.LINE));
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
