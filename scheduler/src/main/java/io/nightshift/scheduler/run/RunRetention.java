package io.nightshift.scheduler.run;

import io.nightshift.scheduler.store.Retention;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the run history from growing without end (a job every minute adds half a million runs a
 * year): runs that ended longer ago than the retention are deleted with their steps, log lines,
 * approvals and webhook delivery records, oldest first in batches, except that each job keeps its
 * newest {@link #KEEP_PER_JOB} runs whatever their age (a yearly job's history). A run that has not
 * ended is never deleted, however old. The audit trail keeps its records of them. One periodic
 * duty: the caller runs {@link #purge()} on a worker thread (it is blocking JDBC).
 */
public final class RunRetention {
  /** Runs each job keeps, however old. */
  public static final int KEEP_PER_JOB = 100;

  private static final Logger log = LoggerFactory.getLogger(RunRetention.class);

  private final RunPurgeRepository runs;
  private final Retention retention;

  public RunRetention(RunPurgeRepository runs, Retention retention) {
    this.runs = runs;
    this.retention = retention;
  }

  /** Deletes the runs past the retention; returns how many went. */
  public int purge() {
    Instant cutoff = retention.cutoff();
    int batch = retention.batch();
    Map<String, Optional<Long>> oldestKept = new HashMap<>();
    int deleted = 0;
    long after = 0;
    boolean more = true;
    while (more) {
      List<RunPurgeRepository.Aged> page = runs.after(after, batch);
      List<Long> doomed = new ArrayList<>();
      for (RunPurgeRepository.Aged run : page) {
        if (!run.createdAt().isBefore(cutoff)) {
          // Ids grow with creation: every run from here on ended after the cutoff too.
          more = false;
          break;
        }
        if (past(run, cutoff) && !keptForItsJob(run, oldestKept)) {
          doomed.add(run.id());
        }
      }
      doomed.removeAll(runs.retriedFrom(doomed));
      runs.delete(doomed);
      deleted += doomed.size();
      more = more && page.size() == batch;
      if (!page.isEmpty()) {
        after = page.get(page.size() - 1).id();
      }
    }
    if (deleted > 0) {
      log.info(
          "deleted {} runs that ended more than {} days ago (each job keeps its newest {})",
          deleted,
          retention.keep().toDays(),
          KEEP_PER_JOB);
    }
    return deleted;
  }

  private static boolean past(RunPurgeRepository.Aged run, Instant cutoff) {
    return RunStatus.terminal(run.status())
        && run.finishedAt() != null
        && run.finishedAt().isBefore(cutoff);
  }

  private boolean keptForItsJob(RunPurgeRepository.Aged run, Map<String, Optional<Long>> oldest) {
    if (run.jobName() == null) {
      return false;
    }
    Optional<Long> bound =
        oldest.computeIfAbsent(run.jobName(), job -> runs.nthNewest(job, KEEP_PER_JOB));
    return bound.isEmpty() || run.id() >= bound.get();
  }
}
