package io.nightshift.scheduler.run;

import io.nightshift.executor.WorkDirs;
import io.nightshift.scheduler.approval.Approval;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes a run's work directory once the run has ended ({@code executor.keepWorkDirs: false}, the
 * default). A retry that starts the run again gets a fresh directory.
 */
public final class WorkDirCleanup implements RunListener {
  private static final Logger log = LoggerFactory.getLogger(WorkDirCleanup.class);

  private final WorkDirs dirs;

  public WorkDirCleanup(WorkDirs dirs) {
    this.dirs = dirs;
  }

  @Override
  public void runChanged(long runId, RunStatus status, String error) {
    if (!status.terminal()) {
      return;
    }
    try {
      dirs.delete(runId);
    } catch (IOException | RuntimeException e) {
      log.warn("run {}: cannot delete its work directory {}", runId, dirs.of(runId), e);
    }
  }

  @Override
  public void approvalChanged(String event, Approval approval) {}
}
