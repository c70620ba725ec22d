package io.nightshift.scheduler.logs;

import static io.nightshift.scheduler.logs.LogFixtures.T0;
import static io.nightshift.scheduler.logs.LogFixtures.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Redis pipeline end to end on MariaDB: bus -> stream -> subscriber -> log_line, with the
 * subscriber stopped, dead consumers, unreadable entries.
 */
class LogSubscriberTest {
  private static Database database;
  private static LogStore store;
  private Vertx vertx;
  private Redis raw;
  private LogSettings settings;
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @BeforeAll
  static void open() {
    TestRedis.requireUp(TestRedis.PORT);
    database = TestDatabases.freshMysql();
    store = new LogStore(database);
  }

  @AfterAll
  static void closeDatabase() {
    database.close();
  }

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    raw = Redis.createClient(vertx, TestRedis.url());
    settings = TestRedis.settings("node-a");
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
    send(Request.cmd(Command.DEL).arg(settings.stream()));
    raw.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void two_hundred_thousand_lines_are_stored_exactly_once_though_the_subscriber_stops_midway()
      throws Exception {
    long run = LogFixtures.fakeId();
    long firstStep = LogFixtures.fakeId();
    int total = 200_000;
    RedisLogBus bus = bus(settings);
    LogSubscriber first = subscriber(settings);
    first.start();

    long started = System.nanoTime();
    AtomicLong published = new AtomicLong();
    Thread producer =
        new Thread(
            () -> {
              for (int i = 0; i < total; i++) {
                int step = i / 20_000; // ten steps of 20,000 lines
                bus.publish(
                    line(run, firstStep + step, "step-" + step, i % 20_000 + 1, T0.plusMillis(i)));
                published.incrementAndGet();
              }
            },
            "producer");
    producer.start();

    await().atMost(Duration.ofSeconds(60)).until(() -> store.count(run) >= 40_000);
    first.stop();
    long storedAtStop = store.count(run);
    long publishedAtStop = published.get();

    producer.join();
    bus.flush();
    long publishSeconds = System.nanoTime() - started;
    assertThat(store.count(run)).isLessThan(total);

    LogSubscriber second = subscriber(settings);
    second.start();
    await().atMost(Duration.ofSeconds(90)).until(() -> store.count(run) == total);
    long storeNanos = System.nanoTime() - started;

    assertThat(LogFixtures.distinctLines(database.dsl(), run)).isEqualTo(total);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(send(Request.cmd(Command.XLEN).arg(settings.stream())).toLong()).isZero();
              assertThat(pendingCount()).isZero();
            });
    System.out.printf(
        "200k pipeline: stopped the subscriber at %d stored / %d published; all published and"
            + " handed to redis in %d ms; all stored in %d ms (%.0f lines/s end to end)%n",
        storedAtStop,
        publishedAtStop,
        TimeUnit.NANOSECONDS.toMillis(publishSeconds),
        TimeUnit.NANOSECONDS.toMillis(storeNanos),
        total / (storeNanos / 1e9));
  }

  @Test
  void a_stopping_subscriber_stores_and_acknowledges_what_it_had_read_leaving_nothing_pending()
      throws Exception {
    long run = LogFixtures.fakeId();
    long step = LogFixtures.fakeId();
    createGroup();
    for (int entry = 0; entry < 3; entry++) {
      List<LogLine> lines = new ArrayList<>();
      for (int i = 1; i <= 100; i++) {
        lines.add(line(run, step, "s", entry * 100 + i, T0));
      }
      addEntry(lines);
    }
    LogSubscriber subscriber = subscriber(settings);
    try (java.sql.Connection holder = database.dataSource().getConnection();
        java.sql.Statement st = holder.createStatement()) {
      // The writer's insert waits for the table: the entries are read, not yet stored.
      st.execute("LOCK TABLES log_line WRITE");
      subscriber.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> pendingCount() == 3);

      Thread stopper = new Thread(subscriber::stop, "stopper");
      stopper.start();
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> stopper.getState() == Thread.State.TIMED_WAITING);
      st.execute("UNLOCK TABLES");
      stopper.join(10_000);
    }

    assertThat(store.count(run)).isEqualTo(300);
    assertThat(pendingCount()).as("nothing left for another node to claim later").isZero();
  }

  @Test
  void a_restarted_subscriber_first_stores_the_entries_it_had_read_but_not_acknowledged()
      throws Exception {
    long run = LogFixtures.fakeId();
    long step = LogFixtures.fakeId();
    createGroup();
    addEntry(List.of(line(run, step, "s", 1, T0), line(run, step, "s", 2, T0)));
    addEntry(List.of(line(run, step, "s", 3, T0)));
    addEntry(List.of(line(run, step, "s", 4, T0)));
    // node-a read two entries and died before storing them.
    readAs("node-a", 2);
    store.insert(List.of(line(run, step, "s", 1, T0))); // ... or after storing part of them
    assertThat(pendingCount()).isEqualTo(2);

    LogSubscriber restarted = subscriber(settings);
    restarted.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> store.count(run) == 4);
    await().atMost(Duration.ofSeconds(10)).until(() -> pendingCount() == 0);
    assertThat(send(Request.cmd(Command.XLEN).arg(settings.stream())).toLong()).isZero();
    assertThat(restarted.storedLines()).isEqualTo(3);
  }

  @Test
  void entries_left_pending_by_a_dead_consumer_are_claimed_and_an_unreadable_one_is_skipped()
      throws Exception {
    long run = LogFixtures.fakeId();
    long step = LogFixtures.fakeId();
    createGroup();
    addEntry(List.of(line(run, step, "s", 1, T0), line(run, step, "s", 2, T0)));
    send(Request.cmd(Command.XADD).arg(settings.stream()).arg("*").arg("lines").arg("not json"));
    // One bad line in an entry spoils none of the others.
    send(
        Request.cmd(Command.XADD)
            .arg(settings.stream())
            .arg("*")
            .arg("lines")
            .arg(
                new JsonArray()
                    .add(line(run, step, "s", 3, T0).toJson())
                    .add(new JsonObject().put("runId", run))
                    .encode()));
    readAs("dead-node", 10);

    LogSettings nodeB =
        settings
            .withNode("node-b")
            .withTimings(Duration.ofMillis(100), Duration.ofMillis(300), Duration.ofMillis(100));
    LogSubscriber subscriber = subscriber(nodeB);
    subscriber.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> store.count(run) == 3);
    await().atMost(Duration.ofSeconds(10)).until(() -> pendingCount() == 0);
    assertThat(send(Request.cmd(Command.XLEN).arg(settings.stream())).toLong()).isZero();
    assertThat(subscriber.health().ok()).isTrue();
  }

  @Test
  void entries_pending_in_a_consumer_whose_node_holds_no_live_lease_are_taken_over_at_once()
      throws Exception {
    long run = LogFixtures.fakeId();
    long step = LogFixtures.fakeId();
    createGroup();
    for (int seq = 1; seq <= 25; seq++) {
      addEntry(List.of(line(run, step, "s", seq, T0)));
    }
    readAs("killed-node", 25); // read, never stored: the node was killed

    // claimIdle stays a minute: only the lease check can take them over within the wait below.
    LogSettings nodeB =
        settings
            .withNode("node-b")
            .withTimings(Duration.ofMillis(100), Duration.ofSeconds(60), Duration.ofMillis(100));
    subscriber(nodeB, () -> java.util.Set.of("node-b")).start();

    await().atMost(Duration.ofSeconds(10)).until(() -> store.count(run) == 25);
    await().atMost(Duration.ofSeconds(10)).until(() -> pendingCount() == 0);
    assertThat(LogFixtures.distinctLines(database.dsl(), run)).isEqualTo(25);
  }

  @Test
  void entries_pending_in_a_live_node_are_left_to_it_and_none_are_taken_while_leases_are_unknown()
      throws Exception {
    long run = LogFixtures.fakeId();
    long step = LogFixtures.fakeId();
    createGroup();
    addEntry(List.of(line(run, step, "s", 1, T0), line(run, step, "s", 2, T0)));
    readAs("node-a", 10);
    java.util.concurrent.atomic.AtomicReference<java.util.function.Supplier<java.util.Set<String>>>
        leases =
            new java.util.concurrent.atomic.AtomicReference<>(() -> java.util.Set.of("node-a"));

    LogSettings nodeB =
        settings
            .withNode("node-b")
            .withTimings(Duration.ofMillis(100), Duration.ofSeconds(60), Duration.ofMillis(100));
    subscriber(nodeB, () -> leases.get().get()).start();

    await()
        .during(Duration.ofMillis(700))
        .atMost(Duration.ofSeconds(5))
        .until(() -> store.count(run) == 0 && pendingCount() == 1);
    leases.set(
        () -> {
          throw new IllegalStateException("the database cannot be reached");
        });
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(5))
        .until(() -> store.count(run) == 0 && pendingCount() == 1);
    leases.set(java.util.Set::of); // node-a's lease expired

    await().atMost(Duration.ofSeconds(10)).until(() -> store.count(run) == 2);
    await().atMost(Duration.ofSeconds(10)).until(() -> pendingCount() == 0);
  }

  @Test
  void lines_added_before_any_subscriber_existed_are_stored() throws Exception {
    long run = LogFixtures.fakeId();
    RedisLogBus bus = bus(settings);
    for (int seq = 1; seq <= 2_500; seq++) {
      bus.publish(line(run, run, "early", seq, T0));
    }
    bus.flush();

    subscriber(settings).start();

    await().atMost(Duration.ofSeconds(10)).until(() -> store.count(run) == 2_500);
  }

  @Test
  void while_the_database_refuses_lines_they_stay_pending_in_redis_and_are_stored_once_it_is_back()
      throws Exception {
    long run = LogFixtures.fakeId();
    RedisLogBus bus = bus(settings);
    LogSubscriber subscriber = subscriber(settings);
    subscriber.start();
    try {
      sql("RENAME TABLE log_line TO log_line_away");
      for (int seq = 1; seq <= 5_000; seq++) {
        bus.publish(line(run, run, "s", seq, T0));
      }
      bus.flush();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                BusHealth health = subscriber.health();
                assertThat(health.ok()).isFalse();
                assertThat(health.detail()).startsWith("log subscriber cannot store lines since");
              });
      assertThat(pendingCount()).isPositive();
    } finally {
      sql("RENAME TABLE log_line_away TO log_line");
    }

    await().atMost(Duration.ofSeconds(20)).until(() -> store.count(run) == 5_000);
    assertThat(LogFixtures.distinctLines(database.dsl(), run)).isEqualTo(5_000);
    await().atMost(Duration.ofSeconds(10)).until(() -> pendingCount() == 0);
    await().atMost(Duration.ofSeconds(5)).until(() -> subscriber.health().ok());
  }

  private static void sql(String statement) throws Exception {
    try (java.sql.Connection c = database.dataSource().getConnection();
        java.sql.Statement st = c.createStatement()) {
      st.execute(statement);
    }
  }

  private RedisLogBus bus(LogSettings s) throws Exception {
    RedisLogBus bus =
        new RedisLogBus(
            vertx, new RedisOptions().setConnectionString(TestRedis.url()), s, Clock.systemUTC());
    bus.start().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    toClose.add(bus);
    return bus;
  }

  private LogSubscriber subscriber(LogSettings s) {
    return subscriber(s, null);
  }

  /** {@code liveNodes} (may be null: no lease check): the nodes holding a live lease. */
  private LogSubscriber subscriber(
      LogSettings s, java.util.function.Supplier<java.util.Set<String>> liveNodes) {
    LogSubscriber subscriber =
        new LogSubscriber(
            vertx,
            new RedisOptions().setConnectionString(TestRedis.url()),
            store,
            s,
            Clock.systemUTC(),
            liveNodes,
            Duration.ofMillis(100));
    toClose.add(subscriber);
    return subscriber;
  }

  private void createGroup() throws Exception {
    send(
        Request.cmd(Command.XGROUP)
            .arg("CREATE")
            .arg(settings.stream())
            .arg(settings.group())
            .arg("0")
            .arg("MKSTREAM"));
  }

  private void addEntry(List<LogLine> lines) throws Exception {
    JsonArray array = new JsonArray();
    lines.forEach(l -> array.add(l.toJson()));
    send(
        Request.cmd(Command.XADD).arg(settings.stream()).arg("*").arg("lines").arg(array.encode()));
  }

  private void readAs(String consumer, int count) throws Exception {
    send(
        Request.cmd(Command.XREADGROUP)
            .arg("GROUP")
            .arg(settings.group())
            .arg(consumer)
            .arg("COUNT")
            .arg(count)
            .arg("STREAMS")
            .arg(settings.stream())
            .arg(">"));
  }

  private long pendingCount() throws Exception {
    return send(Request.cmd(Command.XPENDING).arg(settings.stream()).arg(settings.group()))
        .get(0)
        .toLong();
  }

  private Response send(Request request) throws Exception {
    return raw.send(request).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }
}
