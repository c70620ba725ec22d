package io.nightshift.web.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.web.config.Config;
import io.nightshift.web.recovery.WebhookReceiver.Delivery;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a node (a separate JVM, short leases) that holds 50 active runs, 25 mid-step and 25 in
 * retry backoff, and 10 runs waiting at an approval with a deadline. After a restart of that node,
 * and separately with only another node that was running beside it: every active run succeeds and
 * nothing stays RUNNING or CANCELING, every approval is still pending with its deadline, and every
 * webhook event of those runs reaches each webhook under one deliveryId. One webhook gets no answer
 * from just before the backoff runs start until the kill, so the node dies holding deliveries: they
 * are sent again with the same deliveryId once its claims run out (at least once); the test counts
 * and prints such repeats. Throughout, no run is over while one of its attempts runs. The case of
 * the other node only is {@link CrashWithWorkInFlightTakenOverTest} (a class of its own, so that
 * the two run at once in parallel test JVMs).
 */
class CrashWithWorkInFlightTest {
  /**
   * Renewed every second, lost after 5 s (3 s let a node lose its own leases when the machine was
   * loaded by parallel builds: renewals wait for a pool connection like everything else).
   */
  static final Config.Cluster SHORT_LEASES = new Config.Cluster(1, 5, 1, 500);

  @TempDir Path dir;

  @Test
  void
      a_node_killed_with_work_in_flight_and_restarted_finishes_it_all_and_delivers_every_event_once()
          throws Exception {
    try (DoomedNode a = DoomedNode.holding(dir)) {
      long killed = a.kill();
      a.process.start();
      System.out.printf("crash-a: kill -> ready again %d ms%n", DoomedNode.since(killed));

      recovered(a.api, a, killed);
      assertThat(a.work.leftovers())
          .as("the restarted node killed what its previous life left running")
          .noneMatch(CrashWithWorkInFlightTest::alive);
    }
  }

  /** Waits for the runs, then for the webhooks, asserting both; prints how long each took. */
  static void recovered(NodeApi api, DoomedNode a, long killed) {
    WorkInFlight work = a.work;
    WebhookReceiver receiver = a.receiver;
    Awaitility.await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> work.settled(api));
    System.out.printf(
        "kill -> all %d runs over %d ms%n", work.active().size(), DoomedNode.since(killed));
    work.assertRecovered(api);

    Set<String> expected = work.expectedEvents();
    Awaitility.await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> undelivered(a.db) == 0 && received(work, receiver).containsAll(expected));
    System.out.printf(
        "kill -> all %d webhook deliveries made %d ms%n",
        expected.size(), DoomedNode.since(killed));
    assertDeliveredOnce(work, receiver.received(), expected);
    assertTakenOver(receiver.received(), killed);
  }

  /**
   * Deliveries the killed node had sent (and not recorded) before it died were sent again after the
   * kill, under the same deliveryId, once its claims ran out.
   */
  static void assertTakenOver(List<Delivery> received, long killed) {
    Map<String, List<Delivery>> byId =
        received.stream().collect(Collectors.groupingBy(Delivery::deliveryId));
    long takenOver =
        byId.values().stream()
            .filter(
                tries ->
                    tries.stream().anyMatch(d -> d.receivedNanos() < killed)
                        && tries.stream().anyMatch(d -> d.receivedNanos() > killed))
            .count();
    System.out.printf("deliveries tried before the kill and sent again after it: %d%n", takenOver);
    assertThat(takenOver).as("the killed node's held deliveries are sent again").isPositive();
  }

  /** Each (run, event, webhook) came under exactly one deliveryId; repeats of it are counted. */
  static void assertDeliveredOnce(
      WorkInFlight work, List<Delivery> received, Set<String> expected) {
    Set<Long> runs = new HashSet<>(work.all());
    List<Delivery> ours = received.stream().filter(d -> runs.contains(d.runId())).toList();
    assertThat(ours)
        .as("the payload's deliveryId is the X-Nightshift-Delivery header")
        .allMatch(d -> d.deliveryId() != null && d.deliveryId().equals(d.headerDeliveryId()));
    Map<String, Set<String>> byEvent =
        ours.stream()
            .collect(
                Collectors.groupingBy(
                    d -> d.runId() + " " + d.event() + " " + d.hook(),
                    Collectors.mapping(Delivery::deliveryId, Collectors.toSet())));
    assertThat(byEvent.keySet()).isEqualTo(expected);
    assertThat(byEvent)
        .as("one deliveryId per event and webhook")
        .allSatisfy((event, ids) -> assertThat(ids).as(event).hasSize(1));
    Map<String, Set<String>> byEventId =
        ours.stream()
            .collect(
                Collectors.groupingBy(
                    d -> d.eventId() + " " + d.event() + " " + d.hook(),
                    Collectors.mapping(Delivery::deliveryId, Collectors.toSet())));
    assertThat(byEventId).hasSameSizeAs(byEvent).allSatisfy((e, ids) -> assertThat(ids).hasSize(1));
    List<String> repeats =
        ours.stream().collect(Collectors.groupingBy(Delivery::deliveryId)).values().stream()
            .filter(tries -> tries.size() > 1)
            .map(t -> t.get(0).event() + " run " + t.get(0).runId() + " x" + t.size())
            .toList();
    System.out.printf(
        "deliveries received %d for %d events; repeats of one deliveryId (at least once): %d,"
            + " e.g. %s%n",
        ours.size(),
        expected.size(),
        repeats.size(),
        repeats.subList(0, Math.min(5, repeats.size())));
  }

  static Set<String> received(WorkInFlight work, WebhookReceiver receiver) {
    Set<Long> runs = new HashSet<>(work.all());
    return receiver.received().stream()
        .filter(d -> runs.contains(d.runId()))
        .map(d -> d.runId() + " " + d.event() + " " + d.hook())
        .collect(Collectors.toSet());
  }

  /** Events not yet relayed plus deliveries not yet over, as stored; fails on any given up. */
  static long undelivered(DatabaseSettings db) throws SQLException {
    try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password())) {
      assertThat(count(c, "select count(*) from webhook_outbox where outcome <> 'delivered'"))
          .as("no delivery gave up")
          .isZero();
      return count(c, "select count(*) from run_event where relayed_at is null")
          + count(c, "select count(*) from webhook_outbox where done_at is null");
    }
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static boolean alive(long pid) {
    try {
      return CrashAndRecovery.alive(pid);
    } catch (IOException e) {
      return false;
    }
  }
}
