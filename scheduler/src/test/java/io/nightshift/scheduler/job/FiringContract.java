package io.nightshift.scheduler.job;

import static io.nightshift.sql.Tables.AUDIT_EVENT;
import static io.nightshift.sql.Tables.JOB_FIRE;
import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.RUN_EVENT;
import static io.nightshift.sql.Tables.RUN_STEP;
import static io.nightshift.sql.Tables.TEMPLATE;
import static io.nightshift.sql.Tables.TEMPLATE_VERSION;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nightshift.scheduler.SettableClock;
import io.nightshift.scheduler.run.LostCommitAnswers;
import io.nightshift.scheduler.run.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Fires claimed in batches ({@link Firing#fireAll}) on a real store (embedded and MariaDB: {@link
 * H2FiringTest}, {@link MySqlFiringTest}): each fire keeps the outcome it would have alone, with
 * its own run, event, audit record and fire row, and a fire another node recorded is never started
 * twice; two nodes claiming the same fires at once start each once; a fire the database fails is
 * tried again by its {@link FireQueue} lane, and a closing queue claims what it was handed.
 */
abstract class FiringContract extends FiringFixture {

  @Test
  void fires_of_many_jobs_are_claimed_together_each_with_its_run_event_audit_and_fire_row() {
    List<StoredJob> made = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      made.add(job("j" + i, "allow"));
    }
    Instant at = second();
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    List<Firing.Result> results =
        firing("n1", metrics).fireAll(made.stream().map(j -> due(j, at)).toList());

    assertThat(results).hasSize(5);
    for (int i = 0; i < 5; i++) {
      Firing.Result result = results.get(i);
      assertThat(result.claimed()).isTrue();
      assertThat(result.outcome()).isEqualTo(FireOutcome.STARTED);
      long runId = result.runId();
      assertThat(dsl.select(RUN.JOB_NAME).from(RUN).where(RUN.ID.eq(runId)).fetchOne().value1())
          .as("run %d is the run of the fire's own job", runId)
          .isEqualTo("j" + i);
      assertThat(count(RUN_STEP, RUN_STEP.RUN_ID.eq(runId))).isEqualTo(1);
      assertThat(count(RUN_EVENT, RUN_EVENT.RUN_ID.eq(runId))).isGreaterThanOrEqualTo(1);
      assertThat(
              count(
                  AUDIT_EVENT,
                  AUDIT_EVENT.ACTION.eq("run.create").and(AUDIT_EVENT.TARGET.eq("" + runId))))
          .isEqualTo(1);
      var fire = dsl.selectFrom(JOB_FIRE).where(JOB_FIRE.JOB_ID.eq(made.get(i).id())).fetchOne();
      assertThat(fire.getRunId()).isEqualTo(runId);
      assertThat(fire.getScheduledAt()).isEqualTo(at);
      assertThat(fire.getOutcome()).isEqualTo("started");
      assertThat(fire.getNode()).isEqualTo("n1");
    }
    assertThat(results.stream().map(Firing.Result::runId).distinct()).hasSize(5);
    assertThat(handed)
        .as("each run goes to the engine after the commit")
        .containsExactlyElementsOf(results.stream().map(r -> "start " + r.runId()).toList());
    assertThat(metrics.find("nightshift.fires").tag("outcome", "started").counter().count())
        .isEqualTo(5);
    assertThat(flaky.insertsInto("run"))
        .as("the five runs are written by one statement, in one claim")
        .isEqualTo(1);
    assertThat(flaky.insertsInto("job_fire")).isEqualTo(1);
  }

  @Test
  void two_nodes_claiming_the_same_fires_at_once_start_each_fire_once() throws Exception {
    List<StoredJob> made = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      made.add(job("j" + i, i % 2 == 0 ? "allow" : "forbid"));
    }
    Instant at = second();
    List<Firing.Due> fires = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      Instant time = at.plusSeconds(s);
      made.forEach(j -> fires.add(due(j, time)));
    }
    // The other node has them the other way round: while one claims a job's first fire, the
    // other claims its last, and only the job's row lock keeps a forbid job to one run.
    List<Firing.Due> reversed = new ArrayList<>(fires);
    java.util.Collections.reverse(reversed);
    SimpleMeterRegistry m1 = new SimpleMeterRegistry();
    SimpleMeterRegistry m2 = new SimpleMeterRegistry();
    Firing n1 = firing("n1", m1);
    Firing n2 = firing("n2", m2);
    java.util.concurrent.CyclicBarrier together = new java.util.concurrent.CyclicBarrier(2);
    java.util.concurrent.ExecutorService nodes =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    Map<Firing.Due, Firing.Result> byN1 = new HashMap<>();
    Map<Firing.Due, Firing.Result> byN2 = new HashMap<>();
    try {
      var first = nodes.submit(() -> awaitThen(together, () -> untilNoneBusy(n1, fires)));
      var second = nodes.submit(() -> awaitThen(together, () -> untilNoneBusy(n2, reversed)));
      byN1.putAll(first.get(60, TimeUnit.SECONDS));
      byN2.putAll(second.get(60, TimeUnit.SECONDS));
    } finally {
      nodes.shutdownNow();
    }
    for (Firing.Due fire : fires) {
      Firing.Result one = byN1.get(fire);
      Firing.Result other = byN2.get(fire);
      assertThat(one.failed() || other.failed())
          .as("%s failed: %s / %s", fire, one, other)
          .isFalse();
      assertThat(one.claimed() ^ other.claimed())
          .as("%s is claimed by exactly one node: %s / %s", fire, one, other)
          .isTrue();
    }
    assertThat(count(JOB_FIRE, JOB_FIRE.JOB_ID.isNotNull())).isEqualTo(fires.size());
    for (int i = 0; i < made.size(); i++) {
      // allow: a run per fire; forbid: one run, its other fires skipped as overlaps.
      assertThat(count(RUN, RUN.JOB_NAME.eq("j" + i)))
          .as("runs of job j%d (%s)", i, i % 2 == 0 ? "allow" : "forbid")
          .isEqualTo(i % 2 == 0 ? 3 : 1);
    }
    double duplicates =
        m1.find("nightshift.fires.duplicates").counter().count()
            + m2.find("nightshift.fires.duplicates").counter().count();
    assertThat(duplicates).as("each fire is a duplicate on the node that lost it").isEqualTo(120);
    assertThat(handed).hasSize(60 + 20);
  }

  /**
   * The fires claimed by {@code node} as its fire queue would: those whose job's row the other node
   * held are tried again (with the job's later fires) until none is.
   */
  private static Map<Firing.Due, Firing.Result> untilNoneBusy(Firing node, List<Firing.Due> fires) {
    Map<Firing.Due, Firing.Result> done = new HashMap<>();
    List<Firing.Due> left = new ArrayList<>(fires);
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              List<Firing.Result> results = node.fireAll(left);
              List<Firing.Due> busy = new ArrayList<>();
              for (int i = 0; i < left.size(); i++) {
                if (results.get(i).jobBusy()) {
                  busy.add(left.get(i));
                } else {
                  done.put(left.get(i), results.get(i));
                }
              }
              left.retainAll(busy);
              return left.isEmpty();
            });
    return done;
  }

  private static <T> T awaitThen(
      java.util.concurrent.CyclicBarrier barrier, java.util.function.Supplier<T> then)
      throws Exception {
    barrier.await(30, TimeUnit.SECONDS);
    return then.get();
  }

  @Test
  void a_fire_the_database_fails_is_reported_failed_and_the_rest_of_its_batch_still_starts() {
    StoredJob a = job("a", "allow");
    StoredJob b = job("b", "allow");
    StoredJob c = job("c", "allow");
    Instant at = second();
    // The batch's insert of fire rows fails, then job a's own one (as lock wait timeouts would).
    flaky.fail("job_fire", 2);

    List<Firing.Result> results =
        firing("n1", new SimpleMeterRegistry())
            .fireAll(List.of(due(a, at), due(b, at), due(c, at)));

    assertThat(results.get(0).failed()).isTrue();
    assertThat(results.get(0).claimed()).isFalse();
    assertThat(results.get(0).reason()).contains("Lock wait timeout");
    assertThat(results.get(1).outcome()).isEqualTo(FireOutcome.STARTED);
    assertThat(results.get(2).outcome()).isEqualTo(FireOutcome.STARTED);
    assertThat(count(RUN, RUN.JOB_NAME.eq("a"))).as("nothing of job a's fire is left").isZero();
    assertThat(count(JOB_FIRE, JOB_FIRE.JOB_ID.eq(a.id()))).isZero();
    assertThat(handed)
        .containsExactly("start " + results.get(1).runId(), "start " + results.get(2).runId());
  }

  @Test
  void a_fire_whose_stored_template_is_not_valid_fails_to_start_saying_why() {
    StoredJob a = job("a", "allow");
    StoredJob b = job("b", "allow");
    // A version of "gate" as a version whose checks let "steps": null through stored it.
    long gate =
        dsl.select(TEMPLATE.ID)
            .from(TEMPLATE)
            .where(TEMPLATE.NAME.eq("gate"))
            .fetchOne(TEMPLATE.ID);
    dsl.insertInto(TEMPLATE_VERSION)
        .set(TEMPLATE_VERSION.TEMPLATE_ID, gate)
        .set(TEMPLATE_VERSION.VERSION, 2)
        .set(TEMPLATE_VERSION.BODY, "{\"name\":\"gate\",\"steps\":null,\"onFailure\":\"maybe\"}")
        .set(TEMPLATE_VERSION.CREATED_AT, clock.instant())
        .set(TEMPLATE_VERSION.CREATED_BY, "alice")
        .execute();
    dsl.update(TEMPLATE).set(TEMPLATE.LATEST_VERSION, 2).where(TEMPLATE.ID.eq(gate)).execute();
    Instant at = second();

    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    List<Firing.Result> results = firing("n1", metrics).fireAll(List.of(due(a, at), due(b, at)));

    // Counted per job, for an alert that names it.
    assertThat(metrics.find("nightshift.job.fires.failed").tag("job", "a").counter().count())
        .isEqualTo(1);
    for (Firing.Result result : results) {
      assertThat(result.failed()).as(result.toString()).isFalse();
      assertThat(result.outcome()).isEqualTo(FireOutcome.FAILED_TO_START);
      assertThat(result.reason())
          .isEqualTo(
              "template 'gate' version 2 as stored is not valid: "
                  + "onFailure: must be 'fail' or 'rollback', got 'maybe'; steps: is required;"
                  + " save a corrected version (PUT /api/v1/templates/gate)");
    }
    assertThat(fires(a, "failed_to_start")).containsExactly(at);
    // Written with the fire rows, for the jobs' webhooks (job.fire_failed).
    assertThat(fireEvents())
        .extracting(
            e -> e.getString("event") + " " + e.getString("job") + " " + e.getString("reason"))
        .containsExactlyInAnyOrder(
            "job.fire_failed a " + results.get(0).reason(),
            "job.fire_failed b " + results.get(1).reason());
  }

  /** The job events stored (of no run): a fire that started no run, for its job's webhooks. */
  private List<io.vertx.core.json.JsonObject> fireEvents() {
    return dsl.select(RUN_EVENT.BODY)
        .from(RUN_EVENT)
        .where(RUN_EVENT.RUN_ID.eq(io.nightshift.scheduler.run.RunEvents.NO_RUN))
        .orderBy(RUN_EVENT.ID)
        .fetch(r -> new io.vertx.core.json.JsonObject(r.value1()));
  }

  @Test
  void once_the_database_is_unreachable_the_rest_of_the_fires_fail_without_trying_it_again() {
    StoredJob a = job("a", "allow");
    StoredJob b = job("b", "allow");
    StoredJob c = job("c", "allow");
    Instant at = second();
    // A late fire (recorded as missed), then two batches: a, b, c at one second, a at the next.
    List<Firing.Due> fires =
        List.of(
            due(b, at.minusSeconds(90)),
            due(a, at),
            due(b, at),
            due(c, at),
            due(a, at.plusSeconds(1)));
    flaky.failUnreachable("job_fire", 100);

    Firing firing = firing("n1", new SimpleMeterRegistry());
    List<Firing.Result> results = firing.fireAll(fires);

    assertThat(results).allMatch(Firing.Result::failed);
    assertThat(results.get(4).reason()).contains("Communications link failure");
    // Only the first write reached for the database: each later one would wait the pool's whole
    // timeout for a connection during an outage.
    assertThat(flaky.failuresLeft()).isEqualTo(99);
    assertThat(count(JOB_FIRE, JOB_FIRE.ID.isNotNull())).isZero();
    assertThat(count(RUN, RUN.ID.isNotNull())).isZero();
    assertThat(handed).isEmpty();
  }

  @Test
  void
      a_claim_stored_although_its_commit_answered_a_lost_connection_is_this_nodes_when_tried_again() {
    StoredJob a = job("a", "allow");
    StoredJob b = job("b", "allow");
    StoredJob c = job("c", "allow");
    Instant at = second();
    LostCommitAnswers lost = new LostCommitAnswers();
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    Firing firing =
        new Firing(lost.wrap(dsl), templates, engine, "n1", "n1-instance", clock, clock, metrics);

    // A batch (a, b) and a fire claimed alone (c): each commit goes through, its answer is lost.
    lost.next(1);
    assertThat(firing.fireAll(List.of(due(a, at), due(b, at)))).allMatch(Firing.Result::failed);
    lost.next(1);
    assertThat(firing.fireAll(List.of(due(c, at)))).allMatch(Firing.Result::failed);
    assertThat(count(RUN, RUN.ID.isNotNull())).as("stored all the same").isEqualTo(3);
    assertThat(handed).isEmpty();

    // Their lane tries them again: they are this node's own, their runs handed to the engine.
    List<Firing.Result> again = firing.fireAll(List.of(due(a, at), due(b, at), due(c, at)));

    List<Long> stored = dsl.select(RUN.ID).from(RUN).orderBy(RUN.JOB_NAME).fetch(RUN.ID);
    assertThat(again).allMatch(r -> r.claimed() && r.outcome() == FireOutcome.STARTED);
    assertThat(again.stream().map(Firing.Result::runId).toList()).isEqualTo(stored);
    assertThat(handed)
        .containsExactlyInAnyOrderElementsOf(stored.stream().map(id -> "start " + id).toList());
    assertThat(count(RUN, RUN.ID.isNotNull())).isEqualTo(3);
    assertThat(count(JOB_FIRE, JOB_FIRE.ID.isNotNull())).isEqualTo(3);
    assertThat(metrics.find("nightshift.fires.duplicates").counter().count()).isZero();
    // Another node trying them still finds them claimed by n1.
    assertThat(firing("n2", new SimpleMeterRegistry()).fireAll(List.of(due(a, at), due(c, at))))
        .allMatch(Firing.Result::duplicated);
  }

  @Test
  void a_fire_recorded_by_another_live_instance_under_the_same_name_is_a_duplicate() {
    StoredJob a = job("a", "allow");
    StoredJob b = job("b", "allow");
    Instant at = second();
    Instant late = at.minusSeconds(90);
    SimpleMeterRegistry twinMetrics = new SimpleMeterRegistry();
    assertThat(firing("n1", new SimpleMeterRegistry()).fireAll(List.of(due(a, at), due(b, late))))
        .allMatch(Firing.Result::claimed);
    handed.clear();

    // A second instance named n1 (a name copied to two hosts) fires the same: not its own.
    Firing twin = firing("n1", twinMetrics);
    assertThat(twin.fireAll(List.of(due(a, at), due(b, late)))).allMatch(Firing.Result::duplicated);
    assertThat(twin.fire(a.id(), at, Trigger.INTERVAL).duplicated()).isTrue();
    assertThat(twin.recordMisfire(b.id(), late, "skipped").duplicated()).isTrue();
    assertThat(handed).as("no run handed to the twin's engine").isEmpty();
    assertThat(twinMetrics.find("nightshift.fires.duplicates").counter().count()).isEqualTo(4);
    assertThat(
            twinMetrics.find("nightshift.fires").counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count)
                .sum())
        .as("no fire counted by the twin")
        .isZero();
  }

  @Test
  void a_late_fire_stored_although_its_commit_answered_a_lost_connection_is_missed_once() {
    StoredJob a = job("a", "allow");
    StoredJob b = job("b", "allow");
    Instant late = second().minusSeconds(90);
    LostCommitAnswers lost = new LostCommitAnswers();
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    Firing firing =
        new Firing(lost.wrap(dsl), templates, engine, "n1", "n1-instance", clock, clock, metrics);
    lost.next(1);
    assertThat(firing.fireAll(List.of(due(a, late), due(b, late)))).allMatch(Firing.Result::failed);

    List<Firing.Result> again = firing.fireAll(List.of(due(a, late), due(b, late)));

    assertThat(again).allMatch(r -> r.claimed() && r.outcome() == FireOutcome.MISFIRED);
    assertThat(count(JOB_FIRE, JOB_FIRE.ID.isNotNull())).isEqualTo(2);
    assertThat(metrics.find("nightshift.fires.duplicates").counter().count()).isZero();
    assertThat(metrics.find("nightshift.misfires").tag("job", "a").counter().count()).isEqualTo(1);
    assertThat(metrics.find("nightshift.fires").tag("outcome", "misfired").counter().count())
        .isEqualTo(2);
  }

  @Test
  void a_fire_the_database_failed_is_tried_again_by_its_lane_until_it_is_claimed() {
    StoredJob a = job("a", "allow");
    Instant at = second();
    flaky.fail("job_fire", 2);

    try (FireQueue queue = new FireQueue(firing("n1", new SimpleMeterRegistry()), Duration.ZERO)) {
      queue.add(due(a, at));
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> count(JOB_FIRE, JOB_FIRE.JOB_ID.eq(a.id())) == 1);
    }
    assertThat(flaky.failuresLeft()).isZero();
    assertThat(count(RUN, RUN.JOB_NAME.eq("a"))).isEqualTo(1);
    assertThat(handed).hasSize(1);
  }

  @Test
  void a_closing_queue_claims_every_fire_it_was_handed_before_it_stops() {
    List<StoredJob> made = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      made.add(job("j" + i, "allow"));
    }
    Instant at = second();
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    FireQueue queue = new FireQueue(firing("n1", metrics));
    made.forEach(j -> queue.add(due(j, at.minusSeconds(1))));
    made.forEach(j -> queue.add(due(j, at)));

    queue.close();

    assertThat(queue.waiting()).isZero();
    assertThat(metrics.get("nightshift.fires.waiting").gauge().value()).isZero();
    assertThat(count(JOB_FIRE, JOB_FIRE.JOB_ID.isNotNull())).isEqualTo(24);
    assertThat(handed).hasSize(24);
  }

  @Test
  void a_fire_of_a_job_paused_after_it_was_handed_over_starts_nothing() {
    StoredJob paused = job("paused", "allow");
    StoredJob live = job("live", "allow");
    jobs.update(paused.spec().withEnabled(false), "pause", "alice", clock.instant());
    Instant at = second();

    List<Firing.Result> results =
        firing("n1", new SimpleMeterRegistry()).fireAll(List.of(due(paused, at), due(live, at)));

    assertThat(results.get(0).claimed()).isFalse();
    assertThat(results.get(0).reason()).isEqualTo("job paused");
    assertThat(results.get(1).outcome()).isEqualTo(FireOutcome.STARTED);
    assertThat(count(RUN, RUN.JOB_NAME.eq("paused"))).isZero();
    assertThat(count(JOB_FIRE, JOB_FIRE.JOB_ID.eq(paused.id())))
        .as("its resume counts it among the fires missed while paused")
        .isZero();
  }

  @Test
  void a_fire_another_node_recorded_first_is_a_duplicate_and_the_rest_of_the_batch_starts() {
    StoredJob a = job("a", "allow");
    StoredJob b = job("b", "allow");
    StoredJob c = job("c", "allow");
    Instant at = second();
    assertThat(firing("n2", new SimpleMeterRegistry()).fire(b.id(), at, Trigger.INTERVAL).outcome())
        .isEqualTo(FireOutcome.STARTED);
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    List<Firing.Result> results =
        firing("n1", metrics).fireAll(List.of(due(a, at), due(b, at), due(c, at)));

    assertThat(results.get(0).outcome()).isEqualTo(FireOutcome.STARTED);
    assertThat(results.get(1).claimed()).isFalse();
    assertThat(results.get(1).duplicated()).isTrue();
    assertThat(results.get(2).outcome()).isEqualTo(FireOutcome.STARTED);
    assertThat(count(RUN, RUN.JOB_NAME.eq("b"))).as("job b's fire started once").isEqualTo(1);
    assertThat(count(JOB_FIRE, JOB_FIRE.NODE.eq("n1"))).isEqualTo(2);
    assertThat(metrics.find("nightshift.fires.duplicates").counter().count()).isEqualTo(1);
  }

  @Test
  void a_misfire_recorded_by_policy_skip_is_told_to_the_jobs_webhooks_unless_a_pause_held_it() {
    StoredJob a = job("a", "allow");
    Instant then = second().minusSeconds(3600);
    Firing firing = firing("n1", new SimpleMeterRegistry());

    firing.recordMisfire(a.id(), then, "1 fire missed at " + then + " (no node was running)", true);
    firing.recordMisfire(
        a.id(), then.plusSeconds(60), "1 fire missed while the job was paused", false);

    assertThat(fires(a, "misfired")).hasSize(2);
    assertThat(fireEvents()).hasSize(1);
    assertThat(fireEvents().get(0).getString("event")).isEqualTo("job.fire_missed");
    assertThat(fireEvents().get(0).getLong("jobId")).isEqualTo(a.id());
    assertThat(fireEvents().get(0).getString("reason")).contains("no node was running");
  }

  @Test
  void a_queue_jobs_fire_past_a_hundred_waiting_runs_is_skipped_saying_so() {
    StoredJob queue = job("queue", "queue");
    Firing firing = firing("n1", new SimpleMeterRegistry());
    Instant first = second();
    for (int i = 0; i <= JobAdmission.MAX_QUEUED; i++) {
      assertThat(firing.fire(queue.id(), first.plusSeconds(i), Trigger.INTERVAL).outcome())
          .isEqualTo(i == 0 ? FireOutcome.STARTED : FireOutcome.QUEUED);
    }

    Firing.Result full =
        firing.fire(queue.id(), first.plusSeconds(JobAdmission.MAX_QUEUED + 1), Trigger.INTERVAL);

    assertThat(full.outcome()).isEqualTo(FireOutcome.SKIPPED_OVERLAP);
    assertThat(full.reason())
        .isEqualTo("100 runs of this job are queued already, the most a job keeps waiting");
    assertThat(count(RUN, RUN.JOB_NAME.eq("queue"))).isEqualTo(JobAdmission.MAX_QUEUED + 1);
    assertThat(fireEvents())
        .extracting(e -> e.getString("event"))
        .containsExactly("job.fire_skipped");
  }

  @Test
  void each_fire_of_a_batch_keeps_the_outcome_its_job_gives_it_alone() {
    StoredJob forbid = job("forbid", "forbid");
    StoredJob queue = job("queue", "queue");
    StoredJob allow = job("allow", "allow");
    StoredJob gone = job("gone", "allow");
    Instant first = second();
    Firing firing = firing("n1", new SimpleMeterRegistry());
    long forbidRun = firing.fire(forbid.id(), first, Trigger.INTERVAL).runId();
    long queueRun = firing.fire(queue.id(), first, Trigger.INTERVAL).runId();
    jobs.delete("gone", "alice", clock.instant());
    Instant next = first.plusSeconds(1);

    List<Firing.Result> results =
        firing.fireAll(
            List.of(
                due(forbid, next),
                due(queue, next),
                due(allow, next),
                due(gone, next),
                // the same job twice: its two fires go to two transactions, both start
                due(allow, next.plusSeconds(1))));

    assertThat(results.get(0).outcome()).isEqualTo(FireOutcome.SKIPPED_OVERLAP);
    assertThat(results.get(0).runId()).isEqualTo(forbidRun);
    assertThat(results.get(0).reason()).contains("run " + forbidRun);
    assertThat(results.get(1).outcome()).isEqualTo(FireOutcome.QUEUED);
    assertThat(results.get(1).reason()).isEqualTo("waits for run " + queueRun);
    assertThat(
            dsl.select(RUN.STATUS)
                .from(RUN)
                .where(RUN.ID.eq(results.get(1).runId()))
                .fetchOne()
                .value1())
        .isEqualTo("QUEUED");
    assertThat(results.get(2).outcome()).isEqualTo(FireOutcome.STARTED);
    assertThat(results.get(3).claimed()).isFalse();
    assertThat(results.get(3).reason()).isEqualTo("job deleted");
    assertThat(results.get(4).outcome()).isEqualTo(FireOutcome.STARTED);
    assertThat(results.get(4).runId()).isNotEqualTo(results.get(2).runId());
    assertThat(handed)
        .containsExactlyInAnyOrder(
            "start " + forbidRun,
            "start " + queueRun,
            "queued " + results.get(1).runId(),
            "start " + results.get(2).runId(),
            "start " + results.get(4).runId());
    assertThat(count(RUN, RUN.JOB_NAME.eq("forbid"))).isEqualTo(1);
    assertThat(count(JOB_FIRE, JOB_FIRE.JOB_ID.eq(allow.id()))).isEqualTo(2);
    // Only the fire that started no run is a job event; started and queued ones have their runs'.
    assertThat(fireEvents()).hasSize(1);
    assertThat(fireEvents().get(0).getString("event")).isEqualTo("job.fire_skipped");
    assertThat(fireEvents().get(0).getLong("jobId")).isEqualTo(forbid.id());
    assertThat(fireEvents().get(0).getLong("otherRun")).isEqualTo(forbidRun);
    assertThat(Instant.parse(fireEvents().get(0).getString("scheduledAt"))).isEqualTo(next);
  }

  @Test
  void a_batch_that_fails_is_claimed_again_fire_by_fire_and_nothing_of_it_is_left_half_done() {
    StoredJob a = job("a", "allow");
    StoredJob b = job("b", "allow");
    StoredJob c = job("c", "allow");
    Instant at = second();
    // The batch's one insert of fire rows fails (as a lock wait timeout would): its runs, events
    // and audit records roll back with it.
    flaky.fail("job_fire", 1);

    List<Firing.Result> results =
        firing("n1", new SimpleMeterRegistry())
            .fireAll(List.of(due(a, at), due(b, at), due(c, at)));

    assertThat(flaky.failuresLeft()).isZero();
    assertThat(results).extracting(Firing.Result::outcome).containsOnly(FireOutcome.STARTED);
    assertThat(count(RUN, RUN.JOB_NAME.in("a", "b", "c"))).isEqualTo(3);
    assertThat(count(JOB_FIRE, JOB_FIRE.RUN_ID.isNotNull())).isEqualTo(3);
    assertThat(count(AUDIT_EVENT, AUDIT_EVENT.ACTION.eq("run.create"))).isEqualTo(3);
    for (Firing.Result result : results) {
      assertThat(count(RUN, RUN.ID.eq(result.runId()))).isEqualTo(1);
    }
    assertThat(handed)
        .as("only runs that were committed go to the engine")
        .containsExactlyElementsOf(results.stream().map(r -> "start " + r.runId()).toList());
  }

  @Test
  void the_late_fires_of_a_backlog_are_recorded_as_missed_together() {
    StoredJob a = job("a", "allow");
    StoredJob b = job("b", "allow");
    StoredJob c = job("c", "allow");
    Instant now = second();
    List<Firing.Due> late = new ArrayList<>();
    for (StoredJob j : List.of(a, b, c)) {
      late.add(due(j, now.minusSeconds(90)));
      late.add(due(j, now.minusSeconds(89)));
    }
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    List<Firing.Result> results = firing("n1", metrics).fireAll(late);

    assertThat(results).extracting(Firing.Result::outcome).containsOnly(FireOutcome.MISFIRED);
    assertThat(flaky.insertsInto("job_fire")).as("one statement for the six").isEqualTo(1);
    assertThat(count(JOB_FIRE, JOB_FIRE.OUTCOME.eq("misfired"))).isEqualTo(6);
    assertThat(count(RUN, RUN.ID.isNotNull())).isZero();
    assertThat(fireEvents())
        .hasSize(6)
        .allMatch(e -> e.getString("event").equals("job.fire_missed"));
    assertThat(flaky.insertsInto("run_event")).as("one statement for the six").isEqualTo(1);
    assertThat(metrics.find("nightshift.misfires").tag("job", "b").counter().count()).isEqualTo(2);
    assertThat(metrics.find("nightshift.fires").tag("outcome", "misfired").counter().count())
        .isEqualTo(6);
  }

  @Test
  void a_late_fire_another_node_recorded_first_is_a_duplicate_and_the_others_are_missed() {
    StoredJob a = job("a", "allow");
    StoredJob b = job("b", "allow");
    Instant then = second().minusSeconds(90);
    firing("n2", new SimpleMeterRegistry()).recordMisfire(b.id(), then, "recorded by n2");
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    List<Firing.Result> results =
        firing("n1", metrics).fireAll(List.of(due(a, then), due(b, then)));

    assertThat(results.get(0).outcome()).isEqualTo(FireOutcome.MISFIRED);
    assertThat(results.get(1).duplicated()).isTrue();
    assertThat(count(JOB_FIRE, JOB_FIRE.NODE.eq("n1"))).isEqualTo(1);
    assertThat(metrics.find("nightshift.fires").tag("outcome", "misfired").counter().count())
        .isEqualTo(1);
  }

  @Test
  void a_fire_claimed_more_than_a_minute_after_its_time_is_recorded_as_missed() {
    StoredJob late = job("late", "allow");
    StoredJob fresh = job("fresh", "allow");
    Instant now = second();
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    List<Firing.Result> results =
        firing("n1", metrics)
            .fireAll(List.of(due(fresh, now.minusSeconds(59)), due(late, now.minusSeconds(61))));

    assertThat(results.get(0).outcome())
        .as("results in the order of the fires")
        .isEqualTo(FireOutcome.STARTED);
    assertThat(results.get(1).outcome()).isEqualTo(FireOutcome.MISFIRED);
    assertThat(results.get(1).runId()).isNull();
    assertThat(count(RUN, RUN.JOB_NAME.eq("late"))).isZero();
    assertThat(metrics.find("nightshift.misfires").tag("job", "late").counter().count())
        .isEqualTo(1);
    assertThat(
            dsl.select(JOB_FIRE.REASON)
                .from(JOB_FIRE)
                .where(JOB_FIRE.JOB_ID.eq(late.id()))
                .fetchOne()
                .value1())
        .contains("60 s late");
  }

  @Test
  void a_node_whose_clock_is_ahead_holds_its_fires_until_the_clusters_time_and_starts_them_then() {
    StoredJob job = job("nightly", "allow");
    SettableClock cluster = new SettableClock(clock.instant().minusSeconds(90));
    Instant at = second(); // Quartz fired it by this node's clock, 90 s ahead of the cluster's
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    try (FireQueue queue = new FireQueue(firing("n1", metrics, clock, cluster))) {
      queue.add(due(job, at));
      Awaitility.await()
          .during(Duration.ofMillis(500))
          .atMost(5, TimeUnit.SECONDS)
          .until(() -> count(JOB_FIRE, JOB_FIRE.JOB_ID.eq(job.id())) == 0 && queue.waiting() == 1);
      assertThat(metrics.get("nightshift.fires.waiting").gauge().value()).isEqualTo(1);

      // Both clocks move on: by its own the node is now 90 s late, by the cluster's just on time.
      clock.advance(Duration.ofSeconds(90));
      cluster.advance(Duration.ofSeconds(91));
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> count(JOB_FIRE, JOB_FIRE.JOB_ID.eq(job.id())) == 1);
    }
    var fire = dsl.selectFrom(JOB_FIRE).where(JOB_FIRE.JOB_ID.eq(job.id())).fetchOne();
    assertThat(fire.getOutcome())
        .as("on time by the cluster's clock: not missed")
        .isEqualTo("started");
    assertThat(fire.getFiredAt()).isEqualTo(cluster.instant());
    assertThat(fire.getLagMs()).isEqualTo(Duration.between(at, cluster.instant()).toMillis());
    assertThat(
            dsl.select(RUN.CREATED_AT)
                .from(RUN)
                .where(RUN.ID.eq(fire.getRunId()))
                .fetchOne()
                .value1())
        .isEqualTo(cluster.instant());
    assertThat(handed).containsExactly("start " + fire.getRunId());
  }

  @Test
  void
      a_node_whose_clock_is_behind_starts_the_fires_quartz_gives_it_and_records_how_late_they_are() {
    StoredJob job = job("nightly", "allow");
    SettableClock cluster = new SettableClock(clock.instant().plusSeconds(90));
    Instant at = second(); // on time by this node's clock, 90 s late by the cluster's
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();

    List<Firing.Result> results =
        firing("n1", metrics, clock, cluster).fireAll(List.of(due(job, at)));

    assertThat(results.get(0).outcome())
        .as("late by the cluster's clock, not by the node's: not a backlog, so not missed")
        .isEqualTo(FireOutcome.STARTED);
    var fire = dsl.selectFrom(JOB_FIRE).where(JOB_FIRE.JOB_ID.eq(job.id())).fetchOne();
    assertThat(fire.getFiredAt()).isEqualTo(cluster.instant());
    assertThat(fire.getLagMs())
        .as("the lag says how late the run really started")
        .isEqualTo(Duration.between(at, cluster.instant()).toMillis());
  }

  @Test
  void a_stopping_queue_claims_what_is_due_and_leaves_fires_not_due_yet_by_the_clusters_time() {
    StoredJob now = job("now", "allow");
    StoredJob later = job("later", "allow");
    SettableClock cluster = new SettableClock(clock.instant().minusSeconds(60));
    Instant at = second();
    FireQueue queue = new FireQueue(firing("n1", new SimpleMeterRegistry(), clock, cluster));
    queue.add(due(now, at.minusSeconds(61))); // due by both clocks
    queue.add(due(later, at)); // due by this node's clock, a minute early by the cluster's
    Awaitility.await()
        .atMost(30, TimeUnit.SECONDS)
        .until(() -> count(JOB_FIRE, JOB_FIRE.JOB_ID.eq(now.id())) == 1);

    queue.close();

    assertThat(count(JOB_FIRE, JOB_FIRE.JOB_ID.eq(later.id())))
        .as("not claimed early: left to a live node, or to the next start's catch-up")
        .isZero();
    assertThat(count(RUN, RUN.JOB_NAME.eq("later"))).isZero();
    assertThat(queue.waiting()).isZero();
  }

  @Test
  void a_fire_of_a_schedule_changed_before_it_came_due_starts_only_at_a_time_the_new_one_holds() {
    StoredJob old = job("nightly", "allow"); // every second
    Instant change = second().plusSeconds(1).plusMillis(500);
    clock.advance(Duration.between(clock.instant(), change));
    StoredJob changed = jobs.update(nightly("fire_once", change), "update", "alice", change);
    Instant even = Instant.ofEpochSecond(Math.floorDiv(change.getEpochSecond(), 2) * 2 + 2);
    Firing.Due beforeTheChange = ofRevision(old, change.minusMillis(500), old.revision());
    Firing.Due oldOnly = ofRevision(old, even.plusSeconds(1), old.revision());
    Firing.Due both = ofRevision(old, even, old.revision());
    Firing.Due fromTheNew = ofRevision(changed, even.plusSeconds(2), changed.revision());
    Firing.Due catchUp = due(changed, even.plusSeconds(3)); // of no schedule's revision

    List<Firing.Result> results =
        firing("n1", new SimpleMeterRegistry())
            .fireAll(List.of(beforeTheChange, oldOnly, both, fromTheNew, catchUp));

    assertThat(results)
        .extracting(r -> r.claimed() ? r.outcome().name() : r.reason())
        .containsExactly("STARTED", "schedule changed", "STARTED", "STARTED", "STARTED");
    assertThat(
            dsl.select(JOB_FIRE.SCHEDULED_AT)
                .from(JOB_FIRE)
                .where(JOB_FIRE.JOB_ID.eq(old.id()))
                .orderBy(JOB_FIRE.SCHEDULED_AT)
                .fetch(JOB_FIRE.SCHEDULED_AT))
        .as("no record of the old schedule's fire after the change: it is not a missed one")
        .containsExactly(change.minusMillis(500), even, even.plusSeconds(2), even.plusSeconds(3));
  }

  @Test
  void a_later_change_of_something_else_keeps_the_time_the_schedule_changed() {
    StoredJob old = job("nightly", "allow"); // every second
    Instant rescheduled = second().plusSeconds(1).plusMillis(500);
    clock.advance(Duration.between(clock.instant(), rescheduled));
    StoredJob everyTwo =
        jobs.update(nightly("fire_once", rescheduled), "update", "alice", rescheduled);
    Instant edited = rescheduled.plusSeconds(5);
    clock.advance(Duration.ofSeconds(5));
    StoredJob misfireSkip = jobs.update(nightly("skip", edited), "update", "alice", edited);
    assertThat(List.of(everyTwo.scheduleRevision(), misfireSkip.scheduleRevision()))
        .containsExactly(everyTwo.revision(), everyTwo.revision());
    assertThat(misfireSkip.scheduleChangedAt()).isEqualTo(rescheduled);
    // An odd second between the two changes: only the old schedule holds it. Its fire is claimed
    // after the second change (a node that heard of neither, or a retried claim).
    Instant odd = Instant.ofEpochSecond(Math.floorDiv(rescheduled.getEpochSecond(), 2) * 2 + 3);
    Instant even = odd.plusSeconds(1);

    List<Firing.Result> results =
        firing("n1", new SimpleMeterRegistry())
            .fireAll(
                List.of(
                    ofRevision(old, odd, old.revision()),
                    ofRevision(everyTwo, even, everyTwo.revision())));

    assertThat(results)
        .extracting(r -> r.claimed() ? r.outcome().name() : r.reason())
        .containsExactly("schedule changed", "STARTED");
  }

  @Test
  void a_late_fire_of_a_schedule_changed_since_is_not_recorded_as_missed() {
    StoredJob old = job("nightly", "allow"); // every second
    StoredJob paused = job("paused", "allow");
    Instant change = second().plusSeconds(1).plusMillis(500);
    clock.advance(Duration.between(clock.instant(), change));
    StoredJob changed = jobs.update(nightly("fire_once", change), "update", "alice", change);
    jobs.update(paused.spec().withEnabled(false), "pause", "alice", change);
    Instant even = Instant.ofEpochSecond(Math.floorDiv(change.getEpochSecond(), 2) * 2 + 2);
    clock.advance(Duration.ofSeconds(90)); // an outage: every fire below is over a minute late
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    Firing firing = firing("n1", metrics);

    List<Firing.Result> backlog =
        firing.fireAll(
            List.of(
                ofRevision(old, change.minusMillis(500), old.revision()),
                ofRevision(old, even.plusSeconds(1), old.revision()),
                ofRevision(old, even, old.revision()),
                ofRevision(changed, even.plusSeconds(2), changed.revision()),
                ofRevision(paused, even, paused.revision())));

    assertThat(backlog)
        .extracting(r -> r.claimed() ? r.outcome().name() : r.reason())
        .containsExactly("MISFIRED", "schedule changed", "MISFIRED", "MISFIRED", "job paused");
    assertThat(
            dsl.select(JOB_FIRE.SCHEDULED_AT)
                .from(JOB_FIRE)
                .where(JOB_FIRE.JOB_ID.in(old.id(), paused.id()))
                .orderBy(JOB_FIRE.SCHEDULED_AT)
                .fetch(JOB_FIRE.SCHEDULED_AT))
        .as("missed: only the times a schedule held when they came due")
        .containsExactly(change.minusMillis(500), even, even.plusSeconds(2));
    assertThat(metrics.find("nightshift.misfires").tag("job", "nightly").counter().count())
        .isEqualTo(3);
    assertThat(metrics.find("nightshift.misfires").tag("job", "paused").counter())
        .as("a pause's fires are counted when it is resumed, not here")
        .isNull();
  }

  /** Job "nightly" every 2 s with the given misfire policy. */
  private static JobSpec nightly(String misfire, Instant now) {
    return JobParser.parse(
        new io.vertx.core.json.JsonObject()
            .put("name", "nightly")
            .put("template", "gate")
            .put("concurrency", "allow")
            .put("misfire", misfire)
            .put("schedule", new io.vertx.core.json.JsonObject().put("everySeconds", 2)),
        null,
        null,
        now);
  }

  private static Firing.Due ofRevision(StoredJob job, Instant at, int revision) {
    return new Firing.Due(job.id(), job.name(), at, Trigger.INTERVAL, null, revision);
  }

  @Test
  void a_fire_queued_twice_is_claimed_and_handed_on_once() {
    StoredJob job = job("twice", "allow");
    Instant at = second();
    SettableClock cluster = new SettableClock(clock.instant().minusSeconds(5));
    try (FireQueue queue = new FireQueue(firing("n1", new SimpleMeterRegistry(), clock, cluster))) {
      // Queued when its job was scheduled (not due yet by the cluster's time), and again when the
      // job was scheduled anew (its template changed) before it came due.
      queue.add(due(job, at));
      queue.add(due(job, at));
      cluster.advance(Duration.ofSeconds(5));
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> count(JOB_FIRE, JOB_FIRE.JOB_ID.eq(job.id())) == 1);
      Awaitility.await()
          .during(Duration.ofMillis(300))
          .atMost(5, TimeUnit.SECONDS)
          .until(() -> handed.size() == 1);
    }
    assertThat(count(RUN, RUN.JOB_NAME.eq("twice"))).isEqualTo(1);
  }
}
