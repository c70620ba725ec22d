package io.nightshift.scheduler.logs;

import static io.nightshift.scheduler.logs.LogFixtures.T0;
import static io.nightshift.scheduler.logs.LogFixtures.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The embedded bus: followers in memory, lines stored by its persister thread. */
class InProcessLogBusTest {

  @Test
  void every_line_is_stored_once_and_followers_see_their_runs_lines_and_events_live()
      throws Exception {
    try (Database database = TestDatabases.freshH2()) {
      LogStore store = new LogStore(database);
      long run = LogFixtures.run(database.dsl());
      long out = LogFixtures.step(database.dsl(), run, "out", 1);
      long err = LogFixtures.step(database.dsl(), run, "err", 1);
      try (InProcessLogBus bus =
          new InProcessLogBus(store, LogSettings.defaults("embedded"), Clock.systemUTC())) {
        List<LogLine> followed = new CopyOnWriteArrayList<>();
        List<JsonObject> events = new CopyOnWriteArrayList<>();
        List<LogLine> otherRun = new CopyOnWriteArrayList<>();
        Follow follow = bus.follow(run, followed::add, events::add);
        bus.follow(run + 1, otherRun::add, e -> {});

        // Two reader threads, as for a step's stdout and stderr.
        Thread a = publisher(bus, run, out, "out", 10_000);
        Thread b = publisher(bus, run, err, "err", 10_000);
        a.join();
        b.join();
        bus.publishEvent(
            new JsonObject().put("type", "run").put("runId", run).put("status", "SUCCEEDED"));
        bus.flush();

        assertThat(store.count(run)).isEqualTo(20_000);
        assertThat(LogFixtures.distinctLines(database.dsl(), run)).isEqualTo(20_000);
        assertThat(followed).hasSize(20_000);
        assertThat(followed.stream().filter(l -> l.stepRunId() == out).map(LogLine::seq))
            .isSorted()
            .hasSize(10_000);
        assertThat(events).extracting(e -> e.getString("status")).containsExactly("SUCCEEDED");
        assertThat(otherRun).isEmpty();
        assertThat(bus.health().ok()).isTrue();

        follow.close();
        bus.publish(line(run, out, "out", 10_001, T0));
        assertThat(followed).hasSize(20_000);
        bus.flush();
        assertThat(store.page(run, "out", null, 10).items()).hasSize(10);
      }
    }
  }

  @Test
  void a_full_queue_makes_publishers_wait_while_the_database_is_stuck_and_drops_nothing()
      throws Exception {
    try (Database database = TestDatabases.freshMysql()) {
      LogStore store = new LogStore(database);
      long run = LogFixtures.fakeId();
      LogSettings settings = LogSettings.defaults("embedded").withBufferLines(2_000);
      try (InProcessLogBus bus = new InProcessLogBus(store, settings, Clock.systemUTC());
          Connection locker = database.dataSource().getConnection();
          Statement lock = locker.createStatement()) {
        lock.execute("LOCK TABLES log_line WRITE");
        AtomicLong published = new AtomicLong();
        Thread producer =
            new Thread(
                () -> {
                  for (int seq = 1; seq <= 10_000; seq++) {
                    bus.publish(line(run, run, "s", seq, T0));
                    published.incrementAndGet();
                  }
                },
                "producer");
        producer.start();

        await().atMost(Duration.ofSeconds(10)).until(() -> published.get() == 2_000);
        await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> producer.getState() == Thread.State.WAITING);
        assertThat(bus.health().bufferedLines()).isEqualTo(2_000);
        assertThat(published.get()).isEqualTo(2_000);

        lock.execute("UNLOCK TABLES");
        producer.join(30_000);
        assertThat(bus.flush(Duration.ofSeconds(30))).isTrue();
        assertThat(store.count(run)).isEqualTo(10_000);
        assertThat(bus.health().bufferedLines()).isZero();
      }
    }
  }

  private static Thread publisher(LogBus bus, long run, long step, String name, int lines) {
    Thread t =
        new Thread(
            () -> {
              for (int seq = 1; seq <= lines; seq++) {
                bus.publish(line(run, step, name, seq, T0.plusMillis(seq)));
              }
            },
            "reader-" + name);
    t.start();
    return t;
  }
}
