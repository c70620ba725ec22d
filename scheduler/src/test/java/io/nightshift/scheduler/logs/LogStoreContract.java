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
import org.jooq.DSLContext;
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
}
