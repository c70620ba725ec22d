package io.nightshift.scheduler.job;

import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.run.Admission;
import io.nightshift.scheduler.run.NewRun;
import io.nightshift.scheduler.run.NewRunRepository;
import io.nightshift.scheduler.run.RunStatus;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jooq.DSLContext;

/**
 * The one place where a job's concurrency policy decides about a new run of it, under the job's row
 * lock: scheduled fires ({@link Firing}), run-now and retries of its runs all go through {@link
 * #decide}. {@code allow} starts it; {@code queue} makes it QUEUED behind the job's newest active
 * run, up to {@link #MAX_QUEUED} waiting; {@code forbid} refuses it while a run of the job is
 * active (a fire is skipped, a request gets 409 naming that run) unless the request says {@code
 * force}.
 */
public final class JobAdmission implements Admission {
  private final DSLContext dsl;

  public JobAdmission(DSLContext dsl) {
    this.dsl = dsl;
  }

  /**
   * Runs of a {@code queue} job that may wait at once (QUEUED behind its active run): past that a
   * fire is skipped and run-now refused, so a job that fires faster than its runs end cannot pile
   * up runs without end.
   */
  public static final int MAX_QUEUED = 100;

  /**
   * The policy's answer: start, queue behind {@code other}, or refuse because of {@code other}
   * ({@code why}: a sentence saying why, for the fire's reason and the 409).
   */
  public record Decision(Verdict verdict, Long other, String why) {
    Decision(Verdict verdict, Long other) {
      this(verdict, other, null);
    }
  }

  public enum Verdict {
    START,
    QUEUE,
    REFUSE
  }

  /**
   * Decides for {@code job}, whose row lock the caller holds in {@code tx}; its active runs are
   * read only when its policy looks at them (not for {@code allow}).
   */
  public static Decision decide(DSLContext tx, JobSpec job, boolean force) {
    if (job.concurrency() == Concurrency.ALLOW) {
      return new Decision(Verdict.START, null);
    }
    return decide(job.concurrency(), NewRunRepository.unfinishedOfJob(tx, job.name()), force);
  }

  /**
   * Decides for a job whose row lock the caller holds; {@code unfinished}: its runs that have not
   * ended, oldest first.
   */
  public static Decision decide(
      Concurrency policy, List<NewRunRepository.Unfinished> unfinished, boolean force) {
    if (unfinished.isEmpty() || policy == Concurrency.ALLOW) {
      return new Decision(Verdict.START, null);
    }
    long newest = unfinished.get(unfinished.size() - 1).id();
    if (policy == Concurrency.QUEUE) {
      long queued = unfinished.stream().filter(NewRunRepository.Unfinished::queued).count();
      if (queued >= MAX_QUEUED) {
        return new Decision(
            Verdict.REFUSE,
            newest,
            queued + " runs of this job are queued already, the most a job keeps waiting");
      }
      return new Decision(Verdict.QUEUE, newest);
    }
    long oldest = unfinished.get(0).id();
    return force
        ? new Decision(Verdict.START, null)
        : new Decision(Verdict.REFUSE, oldest, "run " + oldest + " of this job is still running");
  }

  @Override
  public Admitted admit(NewRun run, boolean force, java.time.Clock clock) {
    return dsl.transactionResult(
        cfg -> {
          DSLContext tx = cfg.dsl();
          Optional<StoredJob> job =
              run.job() == null ? Optional.empty() : JobRepository.lock(tx, run.job());
          RunStatus initial = RunStatus.RUNNING;
          if (job.isPresent()) {
            Decision decision = decide(tx, job.get().spec(), force);
            if (decision.verdict() == Verdict.REFUSE) {
              boolean queue = job.get().spec().concurrency() == Concurrency.QUEUE;
              throw new Conflict(
                  queue ? "job_queue_full" : "job_run_active",
                  queue
                      ? "job '"
                          + run.job()
                          + "': "
                          + decision.why()
                          + " ("
                          + MAX_QUEUED
                          + "); cancel some or wait for them"
                      : "job '"
                          + run.job()
                          + "' forbids overlapping runs and its run "
                          + decision.other()
                          + " is still active; send \"force\": true to start one anyway");
            }
            if (decision.verdict() == Verdict.QUEUE) {
              initial = RunStatus.QUEUED;
            }
          }
          Instant now = clock.instant(); // once the job's row is held
          long id = NewRunRepository.insert(tx, run, initial, now);
          return new Admitted(NewRunRepository.created(tx, id, run, initial, now));
        });
  }
}
