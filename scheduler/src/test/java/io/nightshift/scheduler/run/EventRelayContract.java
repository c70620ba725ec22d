package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.SettableClock;
import io.nightshift.scheduler.logs.Follow;
import io.nightshift.scheduler.logs.InProcessLogBus;
import io.nightshift.scheduler.logs.LogSettings;
import io.nightshift.scheduler.logs.LogStore;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.scheduler.template.TemplateParser;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The event outbox on a real store (embedded and MariaDB: {@link H2EventRelayTest}, {@link
 * MySqlEventRelayTest}): a change and its event commit together, events left by a node that never
 * announced them (it crashed) are relayed by another, each exactly once even when several nodes
 * relay at the same time, in order, and one event a consumer cannot handle holds back no other.
 */
abstract class EventRelayContract {
  static final Duration NEVER = Duration.ofHours(1);

  final SettableClock clock = SettableClock.now();
  final List<AutoCloseable> closing = new ArrayList<>();
  Database database;
  DSLContext dsl;
  RunRepository runs;
  InProcessLogBus bus;

  abstract Database open();

  @BeforeEach
  void store() {
    database = open();
    dsl = database.dsl();
    runs = new RunRepository(dsl);
    bus = new InProcessLogBus(new LogStore(database), LogSettings.defaults("relay-test"), clock);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
    bus.close();
    TestDatabases.close(database);
  }

  /** A relay of node {@code name} that only relays when the test says so (its poll is an hour). */
  EventRelay relay(String name) {
    EventRelay relay = new EventRelay(dsl, bus, clock, name, NEVER, NEVER);
    closing.add(relay);
    return relay;
  }

  List<JsonObject> published() {
    List<JsonObject> events = Collections.synchronizedList(new ArrayList<>());
    Follow follow = bus.followEvents(events::add);
    closing.add(follow::close);
    return events;
  }

  long newRun() {
    JsonObject template =
        new JsonObject()
            .put("name", "t")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "a")
                            .put("kind", "command")
                            .put("command", "true")));
    return runs.create(
            new NewRun(
                TemplateParser.parse(template, null),
                1,
                null,
                Trigger.MANUAL,
                "alice",
                Map.of(),
                null),
            clock.instant())
        .id();
  }

  /** A run through its whole life: RUNNING, its step RUNNING then SUCCEEDED, the run SUCCEEDED. */
  long finishedRun() {
    long id = newRun();
    StepRun step = runs.get(id).attempts().get(0);
    Instant now = clock.instant();
    runs.start(step, StepStatus.RUNNING, "n", new RunRepository.Lease("i", now), now);
    runs.finish(
        runs.get(id).attempts().get(0),
        StepStatus.RUNNING,
        StepStatus.SUCCEEDED,
        0,
        null,
        1,
        0,
        now);
    runs.transition(id, RunStatus.RUNNING, RunStatus.SUCCEEDED, null, now);
    return id;
  }

  @Test
  void every_change_is_stored_with_its_event_and_announced_in_order_with_previous_status() {
    List<JsonObject> events = published();
    long id = finishedRun();

    assertThat(new RunEventRepository(dsl).backlog()).isEqualTo(4);
    relay("a").relayOnce();

    assertThat(events)
        .extracting(
            e ->
                e.getString("type")
                    + " "
                    + e.getString("status")
                    + " "
                    + e.getString("previousStatus"))
        .containsExactly(
            "run RUNNING null",
            "step RUNNING PENDING",
            "step SUCCEEDED RUNNING",
            "run SUCCEEDED RUNNING");
    assertThat(events).allMatch(e -> e.getLong("runId") == id && e.getLong("eventId") != null);
    assertThat(events.stream().map(e -> e.getLong("eventId"))).isSorted().doesNotHaveDuplicates();
    assertThat(new RunEventRepository(dsl).backlog()).isZero();
  }

  @Test
  void a_change_that_fails_its_compare_and_set_writes_no_event() {
    long id = newRun();
    int before = new RunEventRepository(dsl).backlog();
    boolean moved =
        runs.finish(
            runs.get(id).attempts().get(0),
            StepStatus.RUNNING, // it is PENDING: the compare-and-set fails
            StepStatus.FAILED,
            null,
            "x",
            0,
            0,
            clock.instant());
    assertThat(moved).isFalse();
    assertThat(new RunEventRepository(dsl).backlog()).isEqualTo(before);
  }

  @Test
  void events_a_crashed_node_left_are_relayed_once_by_nodes_relaying_at_the_same_time()
      throws Exception {
    List<JsonObject> events = published();
    Map<Long, Integer> consumed = new ConcurrentHashMap<>();
    // The node that made these changes died before announcing any of them.
    for (int i = 0; i < 40; i++) {
      finishedRun();
    }
    int stored = new RunEventRepository(dsl).backlog();
    List<EventRelay> relays = List.of(relay("b"), relay("c"), relay("d"));
    for (EventRelay relay : relays) {
      relay.addConsumer(
          (tx, claimed) -> {
            claimed.forEach(e -> consumed.merge(e.id(), 1, Integer::sum));
            return false;
          });
    }
    ExecutorService pool = Executors.newFixedThreadPool(relays.size());
    CountDownLatch go = new CountDownLatch(1);
    for (EventRelay relay : relays) {
      pool.execute(
          () -> {
            try {
              go.await();
              while (relay.relayOnce() > 0) {
                // until nothing is left
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
    }
    go.countDown();
    pool.shutdown();
    assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

    assertThat(stored).isEqualTo(160);
    assertThat(events).hasSize(stored);
    assertThat(events.stream().map(e -> e.getLong("eventId"))).doesNotHaveDuplicates();
    assertThat(consumed).hasSize(stored).allSatisfy((id, times) -> assertThat(times).isEqualTo(1));
    assertThat(new RunEventRepository(dsl).backlog()).isZero();
  }

  @Test
  void an_event_a_consumer_cannot_handle_holds_back_no_other() {
    List<JsonObject> events = published();
    long first = newRun();
    long poisoned = newRun();
    long last = newRun();
    EventRelay relay = relay("e");
    relay.addConsumer(
        (tx, claimed) -> {
          if (claimed.stream().anyMatch(e -> e.runId() == poisoned)) {
            throw new IllegalStateException("cannot handle run " + poisoned);
          }
          return false;
        });
    relay.relayOnce();

    assertThat(events).extracting(e -> e.getLong("runId")).containsExactly(first, poisoned, last);
    assertThat(new RunEventRepository(dsl).backlog()).isZero();
  }

  @Test
  void what_runs_after_a_relay_pass_is_woken_only_when_a_consumer_wrote_work() {
    java.util.concurrent.atomic.AtomicInteger woken =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean writes =
        new java.util.concurrent.atomic.AtomicBoolean();
    EventRelay relay = relay("g");
    relay.addConsumer((tx, claimed) -> writes.get());
    relay.afterRelay(woken::incrementAndGet);

    newRun();
    relay.relayOnce();
    assertThat(woken).as("a pass whose consumers wrote nothing").hasValue(0);

    writes.set(true);
    newRun();
    relay.relayOnce();
    assertThat(woken).as("a pass whose consumer wrote deliveries").hasValue(1);

    relay.relayOnce();
    assertThat(woken).as("a pass that found no event").hasValue(1);
  }

  @Test
  void relayed_events_are_purged_after_they_are_kept_long_enough() {
    newRun();
    relay("f").relayOnce();
    RunEventRepository events = new RunEventRepository(dsl);
    assertThat(events.purgeRelayedBefore(clock.instant().minusSeconds(60), 100)).isZero();
    clock.advance(Duration.ofHours(2));
    assertThat(events.purgeRelayedBefore(clock.instant().minus(Duration.ofHours(1)), 100))
        .isEqualTo(1);
  }

  @Test
  void finished_webhook_deliveries_are_purged_and_pending_ones_kept() {
    long id = newRun();
    Instant now = clock.instant();
    io.nightshift.scheduler.notify.WebhookOutboxRepository outbox =
        new io.nightshift.scheduler.notify.WebhookOutboxRepository(dsl);
    for (String hook : List.of("template:0", "template:1")) {
      io.nightshift.scheduler.notify.WebhookOutboxRepository.add(
          dsl, 1, id, hook, "http://127.0.0.1:9/" + hook, "run.running", "{}", hook, now);
    }
    var due = outbox.due(now, 10);
    assertThat(due).hasSize(2);
    assertThat(outbox.claim(due.get(0).id(), "me", now, now.plusSeconds(60))).isTrue();
    outbox.done(due.get(0).id(), "me", 1, "delivered", now);

    clock.advance(Duration.ofDays(2));
    assertThat(outbox.purgeDoneBefore(clock.instant().minus(Duration.ofDays(1)))).isEqualTo(1);
    assertThat(outbox.due(clock.instant(), 10))
        .extracting(io.nightshift.scheduler.notify.WebhookOutboxRepository.Pending::hook)
        .containsExactly("template:1");
  }
}
