package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.Outcome;
import io.nightshift.executor.WorkDirs;
import io.nightshift.scheduler.TempFolders;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * The work directories of runs that ended while a node did not hear of it (it was stopped, or the
 * event channel was down) are deleted when it catches up: at start, then hourly.
 */
class WorkDirCatchUpTest extends EngineFixture {
  @Test
  void the_directories_of_runs_that_ended_or_are_gone_are_deleted_and_active_runs_keep_theirs()
      throws Exception {
    ScriptedExecutor executor = new ScriptedExecutor();
    Engine engine = engine("n1", executor);
    long ended = engine.start(run(command("s"))).id();
    awaitStarted(executor, 1);
    executor.report(executor.started.get(0), Outcome.Status.SUCCEEDED);
    awaitStatus(ended, RunStatus.SUCCEEDED);
    long active = engine.start(run(command("s"))).id();
    awaitStarted(executor, 2);

    WorkDirs dirs = new WorkDirs(TempFolders.create("nightshift-workdirs-"));
    long gone = active + 1000;
    for (long runId : new long[] {ended, active, gone}) {
      Files.writeString(dirs.create(runId).resolve("left.txt"), "x");
    }
    try (WorkDirCleanup cleanup = new WorkDirCleanup(dirs, bus)) {
      assertThat(cleanup.catchUpNow(runs)).isEqualTo(2);
    }
    assertThat(dirs.of(ended)).doesNotExist();
    assertThat(dirs.of(gone)).doesNotExist();
    assertThat(dirs.of(active).resolve("left.txt")).exists();
    assertThat(dirs.runIds()).containsExactly(active);
  }
}
