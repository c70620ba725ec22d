package io.nightshift.scheduler.job;

import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.error.StoredInvalid;
import io.nightshift.scheduler.job.Firing.Due;
import io.nightshift.scheduler.job.Firing.Result;
import io.nightshift.scheduler.run.NewRun;
import io.nightshift.scheduler.run.NewRunRepository;
import io.nightshift.scheduler.run.Params;
import io.nightshift.scheduler.run.RunEventRepository;
import io.nightshift.scheduler.run.RunEvents;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.secrets.SecretKeyException;
import io.nightshift.scheduler.template.StoredTemplate;
import io.nightshift.scheduler.template.TemplateRepository;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.jooq.DSLContext;

/**
 * One claim transaction of {@link Firing}: what each fire comes to under its job's row lock (its
 * job's overlap policy, its template and parameters, a paused or deleted job) and its writes, the
 * runs and the fire rows with one statement per table. It only writes: what follows the commit
 * (metrics, the engine) is {@link Firing}'s.
 */
final class FireClaim {
  private final TemplateRepository templates;
  private final String node;
  private final Clock runTime;
  private final String instance;

  /** {@code runTime}: the time fire rows and runs are stored in (the engine's). */
  FireClaim(TemplateRepository templates, String node, String instance, Clock runTime) {
    this.templates = templates;
    this.node = node;
    this.runTime = runTime;
    this.instance = instance;
  }

  /**
   * What one fire comes to before its writes: a fire row (unless {@code stored}: this node's own,
   * recorded already), and the run to create if any.
   */
  private record Plan(Due due, Result result, NewRun run, RunStatus initial, boolean stored) {
    Plan(Due due, Result result, NewRun run, RunStatus initial) {
      this(due, result, run, initial, false);
    }
  }

  /**
   * What a claim transaction decided, fire by fire, and when it recorded them: the fire rows' time,
   * taken after the runs were written, so a fire's lag counts the whole claim but its commit.
   */
  record Claim(List<Result> results, Instant firedAt) {}

  /**
   * Decides the fires (of distinct jobs) under their jobs' row locks and writes them. A fire
   * already recorded is another node's (a duplicate), or this instance's own when a claim of it was
   * stored although its commit answered a lost connection (the fire row names the instance): then
   * it is what that claim decided, and its run is handed on as if that commit had answered. {@code
   * late}: the fires came too late to start ({@link Firing#LATE}); each is recorded as missed
   * instead, under the same checks (a deleted or paused job, a fire of a schedule changed since).
   * Fires of one job may share a late claim (no run is admitted), not an on-time one. {@code
   * skipBusy}: a job's row another transaction holds is not waited for, its fire is {@link
   * Result#busy} (the fire queue tries it again); else the claim waits for the row.
   */
  Claim write(DSLContext tx, List<Due> fires, boolean late, boolean skipBusy) {
    Instant createdAt = runTime.instant();
    JobRepository.Locked locked =
        JobRepository.lockAll(tx, fires.stream().map(Due::jobId).toList(), skipBusy);
    Map<Long, Supplier<StoredJob>> rows = locked.rows();
    Map<Map.Entry<Long, Instant>, FireRepository.Recorded> recorded =
        FireRepository.recorded(
            tx, rows.keySet(), fires.stream().map(Due::scheduledAt).distinct().toList());
    // Read in the fires' own transaction: a second connection while this one holds the jobs' row
    // locks can wait for a connection held by another claim waiting for those locks.
    Map<String, TemplateRead> templatesRead = new HashMap<>();
    List<Plan> plans = new ArrayList<>(fires.size());
    for (Due due : fires) {
      Supplier<StoredJob> row = rows.get(due.jobId());
      if (locked.busy().contains(due.jobId())) {
        plans.add(new Plan(due, Result.busy(), null, null));
      } else if (row == null) {
        plans.add(new Plan(due, new Result(false, null, null, "job deleted"), null, null));
      } else if (recorded.containsKey(Map.entry(due.jobId(), due.scheduledAt()))) {
        FireRepository.Recorded fire = recorded.get(Map.entry(due.jobId(), due.scheduledAt()));
        plans.add(
            fire.by(instance)
                ? new Plan(
                    due,
                    new Result(true, fire.outcome(), fire.runId(), fire.reason()),
                    null,
                    null,
                    true)
                : new Plan(due, Result.duplicate(), null, null));
      } else {
        plans.add(plan(tx, due, row, templatesRead, late));
      }
    }
    List<NewRunRepository.Admitted> runs =
        plans.stream()
            .filter(p -> p.run() != null)
            .map(p -> new NewRunRepository.Admitted(p.run(), p.initial()))
            .toList();
    List<Long> ids = runs.isEmpty() ? List.of() : NewRunRepository.insertAll(tx, runs, createdAt);
    List<Result> results = new ArrayList<>(plans.size());
    List<FireRepository.Claimed> claimed = new ArrayList<>();
    int next = 0;
    for (Plan plan : plans) {
      Result result = plan.result();
      if (plan.run() != null) {
        result = new Result(true, result.outcome(), ids.get(next++), result.reason());
      }
      if (result.claimed() && !plan.stored()) {
        claimed.add(
            new FireRepository.Claimed(
                plan.due().jobId(),
                plan.due().scheduledAt(),
                result.outcome(),
                result.reason(),
                result.runId()));
      }
      results.add(result);
    }
    Instant firedAt = runTime.instant();
    if (!claimed.isEmpty()) {
      FireRepository.insertAll(tx, claimed, firedAt, node, instance);
      List<RunEventRepository.New> events = fireEvents(plans, results, firedAt);
      if (!events.isEmpty()) {
        RunEventRepository.addAll(tx, events, firedAt);
      }
    }
    return new Claim(results, firedAt);
  }

  /**
   * The events of the fires recorded now that started no run (failed, skipped, missed), for their
   * jobs' webhooks: written with the fire rows, so a crash after the commit loses none.
   */
  private static List<RunEventRepository.New> fireEvents(
      List<Plan> plans, List<Result> results, Instant at) {
    List<RunEventRepository.New> events = new ArrayList<>();
    for (int i = 0; i < plans.size(); i++) {
      Plan plan = plans.get(i);
      Result result = results.get(i);
      if (!result.claimed() || plan.stored() || result.outcome().webhookEvent() == null) {
        continue;
      }
      Due due = plan.due();
      events.add(
          new RunEventRepository.New(
              RunEvents.NO_RUN,
              RunEvents.fire(
                  result.outcome().webhookEvent(),
                  due.jobId(),
                  due.job(),
                  due.scheduledAt(),
                  result.reason(),
                  result.outcome() == FireOutcome.SKIPPED_OVERLAP ? result.runId() : null,
                  at)));
    }
    return events;
  }

  /** Why a fire of a schedule changed since is not started ({@link #ofAnEarlierSchedule}). */
  static final String SCHEDULE_CHANGED = "schedule changed";

  /**
   * Whether {@code due} comes from a schedule the job had before its schedule last changed and came
   * due after that change, at a time its schedule now does not hold (a later change of anything
   * else, its parameters or a pause, moves neither the revision nor the time this goes by). A node
   * that had not yet heard of the change, or one whose clock is ahead of the cluster's (it holds
   * fires Quartz gave it early, {@link FireQueue}), would otherwise start the old schedule's runs
   * after the change. A fire due before the change is the old schedule's, rightly, and a time both
   * schedules hold is claimed.
   */
  private static boolean ofAnEarlierSchedule(Due due, StoredJob job) {
    if (due.revision() == 0 || due.revision() >= job.scheduleRevision()) {
      return false;
    }
    if (!due.scheduledAt().isAfter(job.scheduleChangedAt())) {
      return false;
    }
    Schedule schedule = job.spec().schedule();
    return schedule == null
        || !schedule.next(due.scheduledAt().minusMillis(1)).equals(Optional.of(due.scheduledAt()));
  }

  /** A template read once per claim transaction; {@code error}: why it cannot be used. */
  private record TemplateRead(StoredTemplate template, String error) {}

  /** Why a late fire is recorded as missed. */
  static final String LATE_REASON = "fired more than 60 s late on this node; skipped";

  private static Plan missed(Due due) {
    return new Plan(due, new Result(true, FireOutcome.MISFIRED, null, LATE_REASON), null, null);
  }

  private Plan plan(
      DSLContext tx,
      Due due,
      Supplier<StoredJob> row,
      Map<String, TemplateRead> read,
      boolean late) {
    JobSpec job;
    TemplateRead template;
    try {
      StoredJob stored = row.get();
      job = stored.spec();
      if (!job.enabled()) {
        // Paused after Quartz handed the fire over: no node fires a paused job. Its resume counts
        // the fires missed meanwhile, this one too.
        return new Plan(due, new Result(false, null, null, "job paused"), null, null);
      }
      if (ofAnEarlierSchedule(due, stored)) {
        return new Plan(due, new Result(false, null, null, SCHEDULE_CHANGED), null, null);
      }
      if (late) {
        return missed(due);
      }
      template = read.computeIfAbsent(job.template(), name -> readTemplate(tx, name));
    } catch (SecretKeyException unreadable) {
      // A stored secret of the job was sealed with a key this node lacks: the fire is recorded
      // as failed, with the key to add, instead of vanishing in a log line; a late one as missed.
      return late ? missed(due) : failed(due, unreadable.getMessage());
    }
    if (template.error() != null) {
      return failed(due, template.error());
    }
    Map<String, String> values;
    try {
      values = Params.resolve(template.template().template(), job.params(), Map.of());
    } catch (Invalid e) {
      return failed(due, e.everyProblem());
    }
    JobAdmission.Decision decision = JobAdmission.decide(tx, job, false);
    if (decision.verdict() == JobAdmission.Verdict.REFUSE) {
      return new Plan(
          due,
          new Result(true, FireOutcome.SKIPPED_OVERLAP, decision.other(), decision.why()),
          null,
          null);
    }
    boolean queue = decision.verdict() == JobAdmission.Verdict.QUEUE;
    return new Plan(
        due,
        new Result(
            true,
            queue ? FireOutcome.QUEUED : FireOutcome.STARTED,
            null,
            queue ? "waits for run " + decision.other() : due.note()),
        new NewRun(
            template.template().template(),
            template.template().version(),
            job.name(),
            due.trigger(),
            "scheduler",
            values,
            null),
        queue ? RunStatus.QUEUED : RunStatus.RUNNING);
  }

  private TemplateRead readTemplate(DSLContext tx, String name) {
    try {
      return templates
          .in(tx)
          .find(name)
          .map(t -> new TemplateRead(t, null))
          .orElse(new TemplateRead(null, "template '" + name + "' does not exist"));
    } catch (SecretKeyException unreadable) {
      return new TemplateRead(null, unreadable.getMessage());
    } catch (StoredInvalid stored) {
      // A body stored by a version whose checks let it through: the fire fails to start, saying
      // why, instead of failing its whole claim again and again.
      return new TemplateRead(null, stored.getMessage());
    }
  }

  private static Plan failed(Due due, String reason) {
    return new Plan(due, new Result(true, FireOutcome.FAILED_TO_START, null, reason), null, null);
  }
}
