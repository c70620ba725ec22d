package io.nightshift.scheduler.run;

import io.nightshift.executor.DaemonThreads;
import io.nightshift.executor.WorkDirs;
import io.nightshift.scheduler.logs.Follow;
import io.nightshift.scheduler.logs.LogBus;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes a run's work directory once the run has ended ({@code executor.keepWorkDirs: false}, the
 * default). Every node follows the run events (a run's steps may have run on several nodes, and the
 * node that announces its end may be another). A retry that starts the run again gets a fresh
 * directory. The events a node missed (it was stopped, or the event channel was down) are caught up
 * with at start and every hour: the directories of runs that ended or are gone are deleted then.
 */
public final class WorkDirCleanup implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WorkDirCleanup.class);

  private final WorkDirs dirs;
  private final ExecutorService deletes =
      Executors.newSingleThreadExecutor(new DaemonThreads("nightshift-workdir-cleanup-"));
  private final ScheduledExecutorService catchUps =
      Executors.newSingleThreadScheduledExecutor(new DaemonThreads("nightshift-workdir-catchup-"));
  private final Follow follow;

  public WorkDirCleanup(WorkDirs dirs, LogBus bus) {
    this.dirs = dirs;
    this.follow = bus.followEvents(this::onEvent);
  }

  /**
   * Deletes now, then every {@code every}, the directories of the runs that ended or are gone
   * ({@code runs} reads their status), on this cleanup's thread.
   */
  public WorkDirCleanup catchUp(RunRepository runs, Duration every) {
    catchUps.scheduleWithFixedDelay(
        () -> deletes.execute(() -> catchUpNow(runs)), 0, every.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** Deletes the directories of the runs that ended or are gone; how many. */
  int catchUpNow(RunRepository runs) {
    int deleted = 0;
    try {
      List<Long> ids = dirs.runIds();
      for (int from = 0; from < ids.size(); from += 500) {
        List<Long> batch = ids.subList(from, Math.min(ids.size(), from + 500));
        Map<Long, Run> stored = runs.headers(batch);
        for (long runId : batch) {
          Run run = stored.get(runId);
          if (run == null || run.status().terminal()) {
            dirs.delete(runId);
            deleted++;
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("cannot delete the work directories of runs that ended: {}", e.toString());
    }
    if (deleted > 0) {
      log.info("deleted the work directories of {} run(s) that ended or are gone", deleted);
    }
    return deleted;
  }

  private void onEvent(JsonObject event) {
    if (!RunEvents.isRun(event) || !RunStatus.valueOf(event.getString("status")).terminal()) {
      return;
    }
    long runId = event.getLong("runId");
    // Bus threads must not block: the files go on this cleanup's own thread.
    deletes.execute(
        () -> {
          try {
            dirs.delete(runId);
          } catch (IOException | RuntimeException e) {
            log.warn("run {}: cannot delete its work directory {}", runId, dirs.of(runId), e);
          }
        });
  }

  /**
   * Stops following run events and waits (up to 10 s) for the deletes already asked for, so that a
   * node shutting down finds the run directories of the runs that ended gone.
   */
  @Override
  public void close() {
    follow.close();
    catchUps.shutdownNow();
    deletes.shutdown();
    try {
      if (!deletes.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("work directory deletes still running after 10 s; left to finish on their own");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
