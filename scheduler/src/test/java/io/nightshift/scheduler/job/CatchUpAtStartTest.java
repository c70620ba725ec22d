package io.nightshift.scheduler.job;

import static io.nightshift.sql.Tables.JOB_FIRE;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Fires missed while no node ran are recorded once, however the nodes come back: one alone then
 * another beside it, or two at once each seeing the other.
 */
class CatchUpAtStartTest extends FiringFixture {
  private static final Duration TOLERANCE = Duration.ofMillis(100);

  @Override
  Database open() {
    return TestDatabases.freshH2();
  }

  private StoredJob everyTwoSeconds(String name, String misfire) {
    return jobs.create(every(name, misfire, 2), "alice", clock.instant());
  }

  private JobSpec every(String name, String misfire, int seconds) {
    return JobParser.parse(
        new JsonObject()
            .put("name", name)
            .put("template", "gate")
            .put("concurrency", "allow")
            .put("misfire", misfire)
            .put("schedule", new JsonObject().put("everySeconds", seconds)),
        null,
        null,
        clock.instant());
  }

  private JobScheduler node(String name, boolean othersLive) {
    return node(name, othersLive, clock);
  }

  /** A node in a cluster whose time is {@code cluster} (its own clock: the fixture's). */
  private JobScheduler node(String name, boolean othersLive, java.time.Clock cluster) {
    return new JobScheduler(
        firing(name, new SimpleMeterRegistry(), clock, cluster),
        jobs,
        new FireRepository(dsl),
        name,
        clock,
        () -> othersLive,
        TOLERANCE);
  }

  private List<String> outcomes(StoredJob job) {
    return dsl.select(JOB_FIRE.OUTCOME)
        .from(JOB_FIRE)
        .where(JOB_FIRE.JOB_ID.eq(job.id()))
        .orderBy(JOB_FIRE.ID)
        .fetch(JOB_FIRE.OUTCOME);
  }

  @Test
  void a_node_alone_then_another_beside_it_record_the_gap_once() {
    StoredJob skip = everyTwoSeconds("skip-job", "skip");
    StoredJob once = everyTwoSeconds("once-job", "fire_once");
    // a starts right on a schedule point: its record is that fire, b must see it.
    java.time.Instant point =
        skip.spec().schedule().next(clock.instant().plus(Duration.ofHours(1))).orElseThrow();
    clock.advance(Duration.between(clock.instant(), point));
    try (JobScheduler a = node("a", false)) {
      a.catchUp(skip, true);
      a.catchUp(once, true);
      assertThat(outcomes(skip)).containsExactly("misfired");
      assertThat(outcomes(once)).containsExactly("started");
      // b starts beside a before a's next fire (a live node would claim that one itself)
      try (JobScheduler b = node("b", true)) {
        b.catchUp(skip, false);
        b.catchUp(once, false);
        Awaitility.await()
            .during(TOLERANCE.multipliedBy(5))
            .atMost(Duration.ofSeconds(5))
            .until(() -> outcomes(skip).size() == 1 && outcomes(once).size() == 1);
      }
    }
    assertThat(outcomes(skip)).as("b's pass found a's record").containsExactly("misfired");
    assertThat(outcomes(once)).containsExactly("started");
    assertThat(handed).as("one catch-up run").hasSize(1);
  }

  @Test
  void two_nodes_starting_together_each_seeing_the_other_record_the_gap_once() {
    StoredJob skip = everyTwoSeconds("skip-job", "skip");
    StoredJob once = everyTwoSeconds("once-job", "fire_once");
    clock.advance(Duration.ofHours(1));
    try (JobScheduler a = node("a", true);
        JobScheduler b = node("b", true)) {
      a.catchUp(skip, false);
      a.catchUp(once, false);
      b.catchUp(skip, false);
      b.catchUp(once, false);
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> outcomes(skip).size() >= 1);
      Awaitility.await()
          .during(TOLERANCE.multipliedBy(5))
          .atMost(Duration.ofSeconds(5))
          .until(() -> outcomes(skip).size() == 1 && outcomes(once).size() == 1);
    }
    assertThat(outcomes(skip)).containsExactly("misfired");
    assertThat(outcomes(once)).containsExactly("started");
    assertThat(handed).hasSize(1);
  }

  @Test
  void a_node_ahead_of_the_cluster_counts_as_missed_only_what_is_due_and_claims_the_rest_in_time() {
    StoredJob skip = everyTwoSeconds("skip-job", "skip");
    java.time.Instant point = atAPointOf(skip);
    // This node's clock is 7 s ahead: the fires of the last 7 s by it are not due yet.
    io.nightshift.scheduler.SettableClock cluster = sevenSecondsBehind();
    try (JobScheduler a = node("a", false, cluster)) {
      a.catchUp(skip, true); // as at a start: the catch-up, then the schedule
      a.schedule(skip);
      assertThat(outcomes(skip)).containsExactly("misfired");
      assertThat(scheduled(skip).get(0)).isBeforeOrEqualTo(cluster.instant());
      Awaitility.await()
          .during(TOLERANCE.multipliedBy(5))
          .atMost(Duration.ofSeconds(5))
          .until(() -> outcomes(skip).size() == 1);

      cluster.advance(Duration.ofSeconds(7));
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> outcomes(skip).size() == 5);
    }
    assertThat(outcomes(skip))
        .as("the 4 fires of the last 7 s by this node's clock start when they are due")
        .containsExactly("misfired", "started", "started", "started", "started");
    assertThat(scheduled(skip).subList(1, 5))
        .containsExactly(
            point.minusSeconds(6), point.minusSeconds(4), point.minusSeconds(2), point);
  }

  @Test
  void a_node_ahead_of_the_cluster_starts_no_fire_of_a_schedule_changed_before_it_came_due() {
    StoredJob job = everyTwoSeconds("changing", "skip");
    java.time.Instant point = atAPointOf(job);
    // This node's clock is 7 s ahead: it holds the fires of the last 7 s by it.
    io.nightshift.scheduler.SettableClock cluster = sevenSecondsBehind();
    try (JobScheduler a = node("a", false, cluster)) {
      a.schedule(job);
      Awaitility.await()
          .during(TOLERANCE.multipliedBy(5))
          .atMost(Duration.ofSeconds(5))
          .until(() -> outcomes(job).isEmpty());

      // Before they come due, the job changes to every 3 s (in the cluster's time) and this node
      // schedules it again, as the change's event makes it do.
      StoredJob changed =
          jobs.update(every("changing", "skip", 3), "update", "alice", cluster.instant());
      a.schedule(changed);
      cluster.advance(Duration.ofSeconds(7));
      Awaitility.await()
          .during(TOLERANCE.multipliedBy(5))
          .atMost(Duration.ofSeconds(10))
          .until(() -> outcomes(job).size() >= 2);
    }
    List<java.time.Instant> newPoints = new java.util.ArrayList<>();
    for (java.time.Instant t = changed(point.minusSeconds(7)); !t.isAfter(point); ) {
      newPoints.add(t);
      t = t.plusSeconds(3);
    }
    assertThat(scheduled(job))
        .as("the new schedule's times only (those both schedules hold once), none of the old one's")
        .containsExactlyElementsOf(newPoints);
    assertThat(outcomes(job)).allMatch("started"::equals);
  }

  /**
   * Moves this node's clock to a time of {@code job}'s schedule an hour on (Quartz, on the real
   * clock, fires none of it during the test) and returns it.
   */
  private java.time.Instant atAPointOf(StoredJob job) {
    java.time.Instant point =
        job.spec().schedule().next(clock.instant().plus(Duration.ofHours(1))).orElseThrow();
    clock.advance(Duration.between(clock.instant(), point));
    return point;
  }

  /** The cluster's time, 7 s behind this node's clock. */
  private io.nightshift.scheduler.SettableClock sevenSecondsBehind() {
    return new io.nightshift.scheduler.SettableClock(clock.instant().minusSeconds(7));
  }

  /** The first point of an every-3-s schedule after {@code t}. */
  private static java.time.Instant changed(java.time.Instant t) {
    return java.time.Instant.ofEpochSecond(Math.floorDiv(t.getEpochSecond(), 3) * 3 + 3);
  }

  private List<java.time.Instant> scheduled(StoredJob job) {
    return dsl.select(JOB_FIRE.SCHEDULED_AT)
        .from(JOB_FIRE)
        .where(JOB_FIRE.JOB_ID.eq(job.id()))
        .orderBy(JOB_FIRE.ID)
        .fetch(JOB_FIRE.SCHEDULED_AT);
  }
}
