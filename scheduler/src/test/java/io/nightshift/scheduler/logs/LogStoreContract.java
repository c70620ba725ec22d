package io.nightshift.scheduler.logs;

import static io.nightshift.scheduler.logs.LogFixtures.T0;
import static io.nightshift.scheduler.logs.LogFixtures.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.Page;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.conf.ParamType;
import org.junit.jupiter.api.Test;

/** What every store must do with log lines; run against H2 and MySQL by the subclasses. */
abstract class LogStoreContract {

  abstract Database database();

  private DSLContext dsl() {
    return database().dsl();
  }

  private LogStore store() {
    return new LogStore(database());
  }

  @Test
  void inserting_the_same_lines_again_stores_each_line_once() {
    long run = LogFixtures.run(dsl());
    long step = LogFixtures.step(dsl(), run, "build", 1);
    List<LogLine> first = List.of(line(run, step, "build", 1, T0), line(run, step, "build", 2, T0));
    assertThat(store().insert(first)).isEqualTo(2);

    List<LogLine> again = new ArrayList<>(first);
    again.add(line(run, step, "build", 3, T0.plusMillis(1)));
    assertThat(store().insert(again)).isEqualTo(1);

    assertThat(store().count(run)).isEqualTo(3);
    assertThat(LogFixtures.distinctLines(dsl(), run)).isEqualTo(3);
  }

  @Test
  void more_lines_than_one_statement_holds_are_stored_in_one_call() {
    long run = LogFixtures.run(dsl());
    long step = LogFixtures.step(dsl(), run, "dump", 1);
    List<LogLine> lines = new ArrayList<>();
    for (int seq = 1; seq <= 2_500; seq++) {
      lines.add(line(run, step, "dump", seq, T0.plusMillis(seq)));
    }
    assertThat(store().insert(lines)).isEqualTo(2_500);
    assertThat(store().insert(lines.subList(900, 1_100))).isZero();
    assertThat(store().count(run)).isEqualTo(2_500);
  }

  @Test
  void a_stored_line_reads_back_equal_with_its_utc_millisecond_time() {
    long run = LogFixtures.run(dsl());
    long step = LogFixtures.step(dsl(), run, "check", 2);
    Instant ts = Instant.parse("2026-03-29T01:30:00.123456Z"); // sub-millis are dropped
    LogLine written = new LogLine(run, step, "check", 2, 7, ts, LogLine.STDERR, "ünïcode ✓ line");
    store().insert(List.of(written));

    LogLine read = store().page(run, null, null, 10).items().get(0);
    assertThat(read)
        .isEqualTo(
            new LogLine(
                run,
                step,
                "check",
                2,
                7,
                Instant.parse("2026-03-29T01:30:00.123Z"),
                LogLine.STDERR,
                "ünïcode ✓ line"));
  }

  @Test
  void pages_come_in_time_then_step_then_seq_order_and_the_last_has_no_cursor() {
    long run = LogFixtures.run(dsl());
    long a = LogFixtures.step(dsl(), run, "a", 1);
    long b = LogFixtures.step(dsl(), run, "b", 1);
    List<LogLine> lines = new ArrayList<>();
    for (int seq = 1; seq <= 10; seq++) {
      // Two steps writing in parallel, several lines in the same millisecond.
      lines.add(line(run, a, "a", seq, T0.plusMillis(seq / 3)));
      lines.add(line(run, b, "b", seq, T0.plusMillis(seq / 2)));
    }
    java.util.Collections.shuffle(lines, new java.util.Random(42));
    store().insert(lines);
    store().insert(List.of(line(LogFixtures.run(dsl()), a, "a", 99, T0))); // another run

    List<LogLine> expected = new ArrayList<>(lines);
    expected.sort(
        Comparator.comparing(LogLine::ts)
            .thenComparingLong(LogLine::stepRunId)
            .thenComparingLong(LogLine::seq));

    List<LogLine> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Page<LogLine> page = store().page(run, null, cursor, 3);
      seen.addAll(page.items());
      cursor = page.next();
      pages++;
    } while (cursor != null);

    assertThat(seen).containsExactlyElementsOf(expected);
    assertThat(pages).isEqualTo(7);
    assertThat(store().page(run, null, null, 20).next()).isNull();
  }

  @Test
  void a_step_filter_keeps_the_lines_of_every_attempt_of_that_step() {
    long run = LogFixtures.run(dsl());
    long build1 = LogFixtures.step(dsl(), run, "build", 1);
    long test1 = LogFixtures.step(dsl(), run, "test", 1);
    long build2 = LogFixtures.step(dsl(), run, "build", 2);
    store()
        .insert(
            List.of(
                line(run, build1, "build", 1, T0),
                line(run, test1, "test", 1, T0.plusMillis(1)),
                line(run, build2, "build", 1, T0.plusMillis(2)),
                line(run, build2, "build", 2, T0.plusMillis(3))));

    Page<LogLine> first = store().page(run, "build", null, 2);
    assertThat(first.items())
        .extracting(LogLine::stepRunId, LogLine::seq)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(build1, 1L),
            org.assertj.core.groups.Tuple.tuple(build2, 1L));
    Page<LogLine> second = store().page(run, "build", first.next(), 2);
    assertThat(second.items())
        .extracting(LogLine::step, LogLine::seq)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("build", 2L));
    assertThat(second.next()).isNull();
    assertThat(store().page(run, "deploy", null, 10).items()).isEmpty();
  }

  @Test
  void delete_older_than_removes_only_older_lines_batch_by_batch() {
    long run = LogFixtures.run(dsl());
    long step = LogFixtures.step(dsl(), run, "rotate", 1);
    Instant cutoff = T0.minusSeconds(3600 * 24 * 30L);
    List<LogLine> lines = new ArrayList<>();
    for (int seq = 1; seq <= 30; seq++) {
      lines.add(line(run, step, "rotate", seq, seq <= 25 ? cutoff.minusSeconds(seq) : cutoff));
    }
    store().insert(lines);

    int deleted = store().deleteOlderThan(cutoff, 10);

    assertThat(deleted).isGreaterThanOrEqualTo(25);
    assertThat(store().count(run)).isEqualTo(5);
    assertThat(store().page(run, null, null, 10).items())
        .allSatisfy(l -> assertThat(l.ts()).isEqualTo(cutoff));
  }

  @Test
  void a_cursor_not_made_by_the_store_is_invalid_input() {
    assertThatThrownBy(() -> store().page(1, null, "not-a-cursor", 10))
        .isInstanceOf(Invalid.class)
        .hasMessageContaining("after");
    assertThatThrownBy(() -> store().page(1, null, null, 0)).isInstanceOf(Invalid.class);
  }

  /** Lines of the large run; 1,000,000 with -Dnightshift.test.logPagingLines=1000000. */
  private static final int LARGE_RUN =
      Integer.getInteger("nightshift.test.logPagingLines", 100_000);

  @Test
  void pages_of_a_large_run_walk_the_run_index_in_order_and_never_sort_the_run() {
    long run = LogFixtures.run(dsl());
    long main = LogFixtures.step(dsl(), run, "main", 1);
    long side = LogFixtures.step(dsl(), run, "side", 1);
    long began = System.nanoTime();
    List<LogLine> batch = new ArrayList<>();
    for (int i = 1; i <= LARGE_RUN; i++) {
      boolean onMain = i % 4 != 0;
      String text = i == LARGE_RUN - 3 ? "the NEEDLE line " + i : "line " + i;
      batch.add(
          new LogLine(
              run,
              onMain ? main : side,
              onMain ? "main" : "side",
              1,
              i,
              T0.plusMillis(i / 10),
              LogLine.STDOUT,
              text));
      if (batch.size() == 10_000) {
        store().insert(batch);
        batch.clear();
      }
    }
    store().insert(batch);
    report("inserted %,d lines in %d ms", LARGE_RUN, (System.nanoTime() - began) / 1_000_000);
    LogStore store = store();
    String middle = new LogCursor(T0.plusMillis(LARGE_RUN / 20), main, LARGE_RUN / 2 + 1).encode();

    // Every shape of the page query reads the run index in its order: no sort of the run's lines.
    Map<Long, String> steps = store.stepNames(run);
    List<Condition> shapes =
        List.of(
            store.pageCondition(run, steps, null, null, null),
            store.pageCondition(run, steps, null, middle, null),
            store.pageCondition(run, steps, "side", middle, null),
            store.pageCondition(run, steps, null, middle, "needle"));
    for (Condition where : shapes) {
      // EXPLAIN by hand: jOOQ's explain() cannot read H2's answer.
      String plan =
          dsl()
              .fetch(
                  "EXPLAIN "
                      + store.keysQuery(where, LogStore.MAX_PAGE + 1).getSQL(ParamType.INLINED))
              .stream()
              .map(r -> java.util.Arrays.toString(r.intoArray()))
              .collect(java.util.stream.Collectors.joining("\n"))
              .toLowerCase(Locale.ROOT);
      report("plan: %s", plan.replaceAll("\\s+", " "));
      assertThat(plan).contains("idx_log_line_run");
      if (h2()) {
        assertThat(plan).contains("index sorted");
      } else {
        assertThat(plan).doesNotContain("filesort");
      }
    }

    // The pages themselves, timed (reported, not asserted).
    Page<LogLine> first = timed("first page of 10,000", () -> store.page(run, null, null, 10_000));
    assertThat(first.items()).hasSize(10_000);
    assertThat(first.items().get(0).seq()).isEqualTo(1);
    Page<LogLine> half =
        timed("page of 10,000 from the middle", () -> store.page(run, null, middle, 10_000));
    assertThat(half.items().get(0).seq()).isEqualTo(LARGE_RUN / 2 + 2);
    Page<LogLine> oneStep =
        timed("page of 10,000 of one step", () -> store.page(run, "side", middle, 10_000));
    assertThat(oneStep.items()).allSatisfy(l -> assertThat(l.step()).isEqualTo("side"));
    Page<LogLine> found =
        timed("search through half the run", () -> store.page(run, null, middle, "needle", 100));
    assertThat(found.items()).extracting(LogLine::seq).containsExactly((long) LARGE_RUN - 3);
    assertThat(found.next()).isNull();
    long tenAt = System.nanoTime();
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 10; t++) {
      Thread reader = new Thread(() -> store.page(run, null, middle, 10_000));
      readers.add(reader);
      reader.start();
    }
    for (Thread reader : readers) {
      try {
        reader.join();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
    report("ten pages of 10,000 at once: %d ms", (System.nanoTime() - tenAt) / 1_000_000);
  }

  @Test
  void a_page_holds_at_most_the_char_budget_of_text_and_the_next_page_goes_on_from_there() {
    long run = LogFixtures.run(dsl());
    long step = LogFixtures.step(dsl(), run, "wide", 1);
    String wide = "x".repeat(60_000);
    List<LogLine> lines = new ArrayList<>();
    for (int seq = 1; seq <= 100; seq++) {
      lines.add(new LogLine(run, step, "wide", 1, seq, T0, LogLine.STDOUT, wide));
    }
    for (int from = 0; from < 100; from += 20) {
      store().insert(lines.subList(from, from + 20));
    }
    int fit = (int) (LogStore.PAGE_CHARS / 60_000);

    Page<LogLine> first = store().page(run, null, null, 1_000);
    Page<LogLine> second = store().page(run, null, first.next(), 1_000);

    assertThat(first.items()).hasSize(fit);
    assertThat(first.next()).isNotNull();
    assertThat(second.items()).hasSize(100 - fit);
    assertThat(second.items().get(0).seq()).isEqualTo(fit + 1L);
    assertThat(second.next()).isNull();
  }

  @Test
  void a_text_search_is_a_case_insensitive_substring_with_like_characters_taken_literally() {
    long run = LogFixtures.run(dsl());
    long step = LogFixtures.step(dsl(), run, "grep", 1);
    List<String> texts =
        List.of("Disk 100% full", "disk 10 full", "ERROR: a_b", "error: axb", "ok", "Ünïcode Ok");
    List<LogLine> lines = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      lines.add(new LogLine(run, step, "grep", 1, i + 1, T0, LogLine.STDOUT, texts.get(i)));
    }
    store().insert(lines);

    assertThat(texts(store().page(run, null, null, "100%", 10))).containsExactly("Disk 100% full");
    assertThat(texts(store().page(run, null, null, "error: a_", 10))).containsExactly("ERROR: a_b");
    assertThat(texts(store().page(run, null, null, "OK", 10))).containsExactly("ok", "Ünïcode Ok");
    Page<LogLine> firstHit = store().page(run, null, null, "disk", 1);
    assertThat(texts(firstHit)).containsExactly("Disk 100% full");
    assertThat(texts(store().page(run, null, firstHit.next(), "disk", 1)))
        .containsExactly("disk 10 full");
    assertThat(store().page(run, "grep", null, "nothing like it", 10).items()).isEmpty();
  }

  private boolean h2() {
    return dsl().connectionResult(c -> c.getMetaData().getURL()).startsWith("jdbc:h2:");
  }

  private static List<String> texts(Page<LogLine> page) {
    return page.items().stream().map(LogLine::line).toList();
  }

  private <T> T timed(String what, java.util.function.Supplier<T> work) {
    long began = System.nanoTime();
    T result = work.get();
    report("%s: %d ms", what, (System.nanoTime() - began) / 1_000_000);
    return result;
  }

  private void report(String format, Object... args) {
    System.out.printf(
        Locale.ROOT,
        "[%s] %s%n",
        h2() ? "H2" : "MariaDB",
        String.format(Locale.ROOT, format, args));
  }
}
