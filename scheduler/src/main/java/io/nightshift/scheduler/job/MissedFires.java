package io.nightshift.scheduler.job;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * The fires of a job no node claimed (no node ran, or the job was paused), found by comparing its
 * last recorded fire with its schedule, and what its misfire policy makes of them.
 */
final class MissedFires implements AutoCloseable {
  private final Firing firing;
  private final JobRepository jobs;
  private final FireRepository fires;
  private final Clock clock;
  private final Duration tolerance;
  private final java.util.concurrent.ScheduledExecutorService deferred =
      java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
          new io.nightshift.executor.DaemonThreads("nightshift-misfire-check-"));

  MissedFires(
      Firing firing, JobRepository jobs, FireRepository fires, Clock clock, Duration tolerance) {
    this.firing = firing;
    this.jobs = jobs;
    this.fires = fires;
    this.clock = clock;
    this.tolerance = tolerance;
  }

  /**
   * Compares the job's last recorded fire with its schedule: fires missed while no node ran (or
   * while it was paused) become ONE misfired record (skip) or ONE run (fire_once), never a burst.
   * {@code alone}: no other node instance is live, so none is claiming fires: every fire up to now
   * was missed, and the policy applies at once. Otherwise the fires of the last {@link
   * JobScheduler#MISFIRE_TOLERANCE} may be being claimed by a live node: the fires up to now are
   * looked at once it would have claimed them, so that none is lost nor counted twice. {@code now}:
   * the time the job's schedule starts from ({@link JobScheduler#schedule}), so that no fire falls
   * between the two.
   */
  void atStart(StoredJob job, boolean alone, Instant now) {
    JobSpec spec = job.spec();
    if (!spec.enabled() || spec.schedule() == null) {
      return;
    }
    if (alone) {
      catchUp(job, now, false);
      return;
    }
    // One pass, once a live node would have claimed the fires of the last few seconds: a gap is
    // recorded once, however many nodes start together (each reads what the others recorded).
    deferred.schedule(
        () ->
            JobScheduler.safely(
                job.name(), () -> jobs.find(job.name()).ifPresent(j -> catchUp(j, now, false))),
        tolerance.toMillis(),
        java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /**
   * A resumed job: no node fires a paused job, so no fire is in flight: every fire up to now was
   * held back, and the policy applies to them all at once.
   */
  void afterPause(StoredJob job) {
    catchUp(job, clock.instant(), true);
  }

  /**
   * Applies the misfire policy to the fires after the last recorded one up to {@code nodeTime} or
   * the cluster's time, whichever is sooner: those after the cluster's time are not missed, only
   * not due yet (this node's clock is ahead; {@link JobScheduler#schedule} queues them). True when
   * it found missed fires (or nothing can be missed later). {@code paused}: they were held back by
   * a pause (on resume), recorded as such and not counted as misfires.
   */
  private boolean catchUp(StoredJob job, Instant nodeTime, boolean paused) {
    JobSpec spec = job.spec();
    if (!spec.enabled() || spec.schedule() == null) {
      return true;
    }
    Instant cluster = firing.clocks().clusterTime();
    Instant until = nodeTime.isAfter(cluster) ? cluster : nodeTime;
    Instant since = fires.lastScheduled(job.id(), until).orElse(job.createdAt());
    Instant latest = null;
    Instant first = null;
    int missed = 0;
    for (Optional<Instant> t = spec.schedule().next(since);
        t.isPresent() && !t.get().isAfter(until) && missed < JobScheduler.MAX_COUNTED_MISSES;
        t = spec.schedule().next(t.get())) {
      if (first == null) {
        first = t.get();
      }
      latest = t.get();
      missed++;
    }
    if (latest == null) {
      return false;
    }
    String span =
        (missed == 1
                ? "1 fire missed at " + latest
                : missed
                    + (missed >= JobScheduler.MAX_COUNTED_MISSES ? "+" : "")
                    + " fire(s) missed between "
                    + first
                    + " and "
                    + latest)
            + (paused ? " while the job was paused" : " (no node was running)");
    Firing.Result result =
        spec.misfire() == Misfire.SKIP
            ? firing.recordMisfire(job.id(), latest, span + "; policy skip", !paused)
            : firing.fireMissed(
                job.id(),
                job.name(),
                latest,
                JobScheduler.trigger(spec.schedule()),
                span + "; policy fire_once: one run now");
    if (result.claimed() && !paused) {
      // Fires a pause held back were not missed by accident: no misfire is counted (nor alerted).
      firing.missed(job.name(), missed);
    }
    return true;
  }

  @Override
  public void close() {
    deferred.shutdownNow();
  }
}
