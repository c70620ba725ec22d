package io.nightshift.scheduler.run;

import io.nightshift.executor.ProcessGroups;
import io.nightshift.executor.WorkDirs;
import java.util.Map;

/**
 * What lost attempts of this node left running on its host (the node restarted, or another node
 * failed the attempt when its lease expired): found by the recorded process group, by the tags in
 * the processes' environment, and by the step's cgroup, and killed.
 */
final class Leftovers {
  private final EngineContext ctx;

  Leftovers(EngineContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Kills what a lost attempt left running: its recorded process group, and any process still
   * tagged with the attempt's id and this node (found even if the group was never recorded).
   */
  boolean kill(StepRun step) {
    boolean killed =
        step.pid() != null
            && step.pidStartedAt() != null
            && ProcessGroups.killLeftover(step.pid(), step.pidStartedAt());
    int tagged =
        ProcessGroups.killTagged(
            Map.of(
                StepLauncher.STEP_RUN_ID,
                String.valueOf(step.id()),
                StepLauncher.NODE,
                ctx.settings.node(),
                StepLauncher.WORK_DIR,
                new WorkDirs(ctx.settings.workRoot()).of(step.runId()).toString()));
    // Processes that left the group and dropped the tag (setsid, env -i) are still in its cgroup.
    int contained = ctx.launcher.killLeftovers(step.id());
    return killed || tagged > 0 || contained > 0;
  }

  /**
   * {@link #kill(StepRun)} of an attempt no longer stored: by its id, this node's name and a run
   * directory under this node's work root (another installation's node of the same name has steps
   * of the same ids under another root).
   */
  boolean kill(long stepRunId) {
    int tagged =
        ProcessGroups.killTagged(
            Map.of(
                StepLauncher.STEP_RUN_ID,
                String.valueOf(stepRunId),
                StepLauncher.NODE,
                ctx.settings.node()),
            StepLauncher.WORK_DIR,
            StepLauncher.runsUnder(ctx.settings.workRoot()));
    int contained = ctx.launcher.killLeftovers(stepRunId);
    return tagged > 0 || contained > 0;
  }
}
