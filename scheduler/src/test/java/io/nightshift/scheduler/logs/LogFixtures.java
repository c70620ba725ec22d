package io.nightshift.scheduler.logs;

import static io.nightshift.sql.Tables.LOG_LINE;
import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_STEP;

import io.nightshift.executor.LogLine;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.jooq.DSLContext;

/** Rows and lines for the log tests. */
final class LogFixtures {
  static final Instant T0 = Instant.parse("2026-11-22T03:30:00.000Z");
  private static final AtomicLong FAKE_IDS = new AtomicLong(System.nanoTime() % 1_000_000_000L);

  private LogFixtures() {}

  static long run(DSLContext dsl) {
    return dsl.insertInto(RUN)
        .set(RUN.TEMPLATE_NAME, "t")
        .set(RUN.TEMPLATE_VERSION, 1)
        .set(RUN.TEMPLATE_SNAPSHOT, "{}")
        .set(RUN.TRIGGER_KIND, "api")
        .set(RUN.TRIGGERED_BY, "test")
        .set(RUN.STATUS, "RUNNING")
        .set(RUN.PARAMS, "{}")
        .set(RUN.REVISION, 1)
        .set(RUN.CREATED_AT, T0)
        .returningResult(RUN.ID)
        .fetchOne()
        .value1();
  }

  static long step(DSLContext dsl, long runId, String name, int attempt) {
    return dsl.insertInto(RUN_STEP)
        .set(RUN_STEP.RUN_ID, runId)
        .set(RUN_STEP.NAME, name)
        .set(RUN_STEP.KIND, "command")
        .set(RUN_STEP.POSITION, 0)
        .set(RUN_STEP.ATTEMPT, attempt)
        .set(RUN_STEP.STATUS, "RUNNING")
        .set(RUN_STEP.REVISION, 1)
        .returningResult(RUN_STEP.ID)
        .fetchOne()
        .value1();
  }

  /** An id no row uses, for runs and steps that only exist in the log tables. */
  static long fakeId() {
    return FAKE_IDS.incrementAndGet() * 1000
        + (UUID.randomUUID().getLeastSignificantBits() & 0x3ff);
  }

  static LogLine line(long runId, long stepRunId, String step, long seq, Instant ts) {
    return new LogLine(
        runId, stepRunId, step, 1, seq, ts, LogLine.STDOUT, "line " + seq + " of " + step);
  }

  static long distinctLines(DSLContext dsl, long runId) {
    // H2 has no COUNT(DISTINCT a, b): count the rows of a SELECT DISTINCT instead.
    return dsl.selectCount()
        .from(
            dsl.selectDistinct(LOG_LINE.STEP_RUN_ID, LOG_LINE.SEQ)
                .from(LOG_LINE)
                .where(LOG_LINE.RUN_ID.eq(runId))
                .asTable("d"))
        .fetchOne(0, long.class);
  }
}
