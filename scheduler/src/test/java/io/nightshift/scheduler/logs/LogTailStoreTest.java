package io.nightshift.scheduler.logs;

import static io.nightshift.scheduler.logs.LogFixtures.T0;
import static io.nightshift.scheduler.logs.LogFixtures.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.Page;
import io.nightshift.scheduler.store.TestDatabases;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import org.jooq.DSLContext;
import org.jooq.conf.ParamType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A run's log read backwards from its end, on H2 and on MariaDB (which must be running). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LogTailStoreTest {
  /** Lines of the large step: a console must stay quick on a step of this size. */
  private static final int LARGE_STEP = 200_000;

  private Database h2;
  private Database mysql;

  @BeforeAll
  void open() {
    h2 = TestDatabases.freshH2();
    mysql = TestDatabases.freshMysql();
  }

  @AfterAll
  void close() {
    TestDatabases.close(h2);
    mysql.close();
  }

  private Database database(String name) {
    return name.equals("h2") ? h2 : mysql;
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "mariadb"})
  void pages_read_back_from_the_end_hold_every_line_once_in_order(String db) {
    DSLContext dsl = database(db).dsl();
    LogStore store = new LogStore(dsl);
    long run = LogFixtures.run(dsl);
    long a = LogFixtures.step(dsl, run, "a", 1);
    long b = LogFixtures.step(dsl, run, "b", 1);
    List<LogLine> lines = new ArrayList<>();
    for (int seq = 1; seq <= 10; seq++) {
      // Two steps writing in parallel, several lines in the same millisecond.
      lines.add(line(run, a, "a", seq, T0.plusMillis(seq / 3)));
      lines.add(line(run, b, "b", seq, T0.plusMillis(seq / 2)));
    }
    java.util.Collections.shuffle(lines, new java.util.Random(7));
    store.insert(lines);
    store.insert(List.of(line(LogFixtures.run(dsl), a, "a", 99, T0.plusSeconds(9))));
    lines.sort(
        Comparator.comparing(LogLine::ts)
            .thenComparingLong(LogLine::stepRunId)
            .thenComparingLong(LogLine::seq));
    LogTailStore tail = new LogTailStore(database(db));

    Page<LogLine> last = tail.before(run, null, null, 3);
    assertThat(last.items()).containsExactlyElementsOf(lines.subList(17, 20));
    List<LogLine> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Page<LogLine> page = tail.before(run, null, cursor, 3);
      seen.addAll(0, page.items());
      cursor = page.next();
      pages++;
    } while (cursor != null);
    assertThat(seen).containsExactlyElementsOf(lines);
    assertThat(pages).isEqualTo(7);

    Page<LogLine> ofB = tail.before(run, "b", null, 4);
    assertThat(ofB.items()).extracting(LogLine::seq).containsExactly(7L, 8L, 9L, 10L);
    assertThat(tail.before(run, "b", ofB.next(), 100).items())
        .extracting(LogLine::seq)
        .containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    assertThat(tail.before(run, "nope", null, 10).items()).isEmpty();
    assertThat(tail.before(LogFixtures.run(dsl), null, null, 10))
        .isEqualTo(new Page<>(List.of(), null));
    assertThatThrownBy(() -> tail.before(run, null, "not-a-cursor", 10))
        .isInstanceOf(Invalid.class)
        .hasMessageContaining("before");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "mariadb"})
  void the_tail_of_a_200k_line_step_walks_the_run_index_backwards_and_sorts_nothing(String db) {
    DSLContext dsl = database(db).dsl();
    LogStore store = new LogStore(dsl);
    long run = LogFixtures.run(dsl);
    long step = LogFixtures.step(dsl, run, "big", 1);
    long began = System.nanoTime();
    List<LogLine> batch = new ArrayList<>();
    for (int i = 1; i <= LARGE_STEP; i++) {
      batch.add(
          new LogLine(
              run, step, "big", 1, i, T0.plusMillis(i / 20), LogLine.STDOUT, "output line " + i));
      if (batch.size() == 10_000) {
        store.insert(batch);
        batch.clear();
      }
    }
    report(db, "inserted %,d lines in %d ms", LARGE_STEP, (System.nanoTime() - began) / 1_000_000);
    LogTailStore tail = new LogTailStore(database(db));

    String plan =
        dsl
            .fetch(
                "EXPLAIN "
                    + dsl.select(LogStore.LINE_FIELDS)
                        .from(LogTailStore.BY_RUN)
                        .where(store.pageCondition(run, store.stepNames(run), "big", null, null))
                        .orderBy(LogTailStore.REVERSE_ORDER)
                        .limit(1001)
                        .getSQL(ParamType.INLINED))
            .stream()
            .map(r -> java.util.Arrays.toString(r.intoArray()))
            .collect(java.util.stream.Collectors.joining(" "))
            .toLowerCase(Locale.ROOT);
    report(db, "plan: %s", plan.replaceAll("\\s+", " "));
    assertThat(plan).contains("idx_log_line_run");
    if (db.equals("h2")) {
      assertThat(plan).contains("index sorted");
    } else {
      assertThat(plan).doesNotContain("filesort");
    }

    Page<LogLine> last = timed(db, "tail page of 1,000", () -> tail.before(run, "big", null, 1000));
    assertThat(last.items()).hasSize(1000);
    assertThat(last.items().get(999).seq()).isEqualTo(LARGE_STEP);
    Page<LogLine> earlier =
        timed(db, "the page before it", () -> tail.before(run, "big", last.next(), 1000));
    assertThat(earlier.items().get(999).seq()).isEqualTo(LARGE_STEP - 1000L);
    String middle = new LogCursor(T0.plusMillis(LARGE_STEP / 40), step, LARGE_STEP / 2).encode();
    Page<LogLine> fromMiddle =
        timed(db, "page of 1,000 before the middle", () -> tail.before(run, null, middle, 1000));
    assertThat(fromMiddle.items().get(999).seq()).isEqualTo(LARGE_STEP / 2 - 1L);
  }

  private static <T> T timed(String db, String what, java.util.function.Supplier<T> work) {
    long began = System.nanoTime();
    T result = work.get();
    report(db, "%s: %.1f ms", what, (System.nanoTime() - began) / 1e6);
    return result;
  }

  private static void report(String db, String format, Object... args) {
    System.out.printf(Locale.ROOT, "[%s] %s%n", db, String.format(Locale.ROOT, format, args));
  }
}
