package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.Outcome;
import io.nightshift.scheduler.TempFolders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * An end whose write hangs (a connection to a database that went away waits for the pool's timeout
 * before it fails) is kept on disk while it waits, so that a node killed meanwhile still records
 * the step's own outcome at its next start instead of failing it as lost and running it again.
 */
class SlowEndWritesTest extends EngineFixture {
  @Test
  void an_end_whose_write_hangs_is_kept_on_disk_until_it_is_recorded() throws Exception {
    Path work = TempFolders.create("nightshift-engine-test-");
    ScriptedExecutor owner = new ScriptedExecutor();
    Engine engine = engine("a", owner, work);
    long id = engine.start(run(command("s").put("retries", 1))).id();
    awaitStarted(owner, 1);
    long step = owner.started.get(0);
    Path kept = work.resolve("step-ends").resolve(step + ".end");

    CountDownLatch release = new CountDownLatch(1);
    flaky.hold("exit_code", release); // the end's write waits; nothing has failed yet
    owner.report(step, Outcome.Status.SUCCEEDED);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(kept));
    assertThat(flaky.held()).as("the end's write still waits").isPositive();

    release.countDown();
    awaitStatus(id, RunStatus.SUCCEEDED);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(kept));
    assertThat(runs.get(id).attempts()).hasSize(1);
  }
}
