package io.nightshift.web;

import io.nightshift.executor.WorkDirs;
import io.nightshift.scheduler.logs.LogBus;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.WorkDirCleanup;
import io.nightshift.web.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's work directory root ({@link Config.Executor#workDirOf}), made mode 0700 at start. Run
 * directories in it are deleted when their runs end (unless {@code executor.keepWorkDirs}); at a
 * clean shutdown the default root ({@code nightshift-<node>-<digest>} under the temp dir) goes too
 * when nothing is left in it. A root holding anything, or one the operator chose ({@code
 * executor.workDir}), stays.
 */
final class WorkRoot {
  private static final Logger log = LoggerFactory.getLogger(WorkRoot.class);

  private final WorkDirs dirs;
  private final boolean defaultRoot;
  private WorkDirCleanup cleanup;

  private WorkRoot(WorkDirs dirs, boolean defaultRoot) {
    this.dirs = dirs;
    this.defaultRoot = defaultRoot;
  }

  /** Creates the root (if missing) of the node {@code config} describes. */
  static WorkRoot create(Config config) {
    WorkDirs dirs = new WorkDirs(config.executor().workDirOf(config.localName()));
    try {
      WorkDirs.ownerOnly(dirs.root());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the work directory " + dirs.root(), e);
    }
    return new WorkRoot(dirs, config.executor().workDir() == null);
  }

  WorkDirs dirs() {
    return dirs;
  }

  /**
   * Deletes each run's directory once the run ended, and those of runs that ended while this node
   * did not hear of it, at start and hourly (see {@link WorkDirCleanup}).
   */
  void deleteRunDirsAtRunEnd(LogBus bus, RunRepository runs) {
    cleanup = new WorkDirCleanup(dirs, bus).catchUp(runs, Duration.ofHours(1));
  }

  /**
   * Once the node's steps and runs are stopped: waits for the run directory deletes in progress,
   * then removes the default root if it is empty.
   */
  void close() {
    if (cleanup != null) {
      cleanup.close();
    }
    if (!defaultRoot) {
      return;
    }
    try {
      if (!dirs.deleteRootIfEmpty()) {
        log.info("work directory {} is not empty: kept", dirs.root());
      }
    } catch (IOException | RuntimeException e) {
      log.warn("cannot remove the work directory {}", dirs.root(), e);
    }
  }
}
