package io.nightshift.web.recovery;

import io.nightshift.web.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second half of {@link CrashWithWorkInFlightTest}: the node killed with its work in flight
 * never comes back, and the other node, running beside it, finishes everything it held.
 */
class CrashWithWorkInFlightTakenOverTest {
  @TempDir Path dir;

  @Test
  void a_node_killed_for_good_with_work_in_flight_has_it_all_finished_by_the_other_node()
      throws Exception {
    try (DoomedNode a = DoomedNode.holding(dir);
        // B starts once A holds everything: the test is about what A held when it died (under a
        // backlog longer than the stall grace, 3 s here, B's sweep would rightly start some of
        // the runs A stored but had not yet dispatched).
        TestServer b =
            TestServer.start(
                TestServer.config(Files.createTempDirectory(dir, "b"), a.db, a.redis.url())
                    .withCluster(CrashWithWorkInFlightTest.SHORT_LEASES))) {
      a.work.assertStillHeld(a.api);

      long killed = a.kill();

      CrashWithWorkInFlightTest.recovered(new NodeApi(b.port(), TestServer.ADMIN_TOKEN), a, killed);
    }
  }
}
