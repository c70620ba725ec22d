package io.nightshift.scheduler.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.run.Trigger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BusyFiresTest {
  private static final Instant T0 = Instant.parse("2026-12-05T03:00:00Z");
  private static final long PAUSE = Duration.ofMillis(200).toNanos();

  private final BusyFires busy = new BusyFires(Duration.ofMillis(200));

  private static Firing.Due fire(long job, int second) {
    return new Firing.Due(job, "j" + job, T0.plusSeconds(second), Trigger.INTERVAL, null);
  }

  @Test
  void only_the_earliest_fire_of_each_job_is_tried_again_and_only_after_the_pause() {
    busy.park(fire(1, 2), 0);
    busy.park(fire(1, 1), 0); // parked in the other order: kept by time
    busy.park(fire(2, 1), 0);

    assertThat(busy.probes(PAUSE - 1)).isEmpty();
    assertThat(busy.millisUntilProbes(PAUSE / 2, 100)).isEqualTo(100);
    assertThat(busy.millisUntilProbes(PAUSE / 2, 1_000)).isEqualTo(100);
    assertThat(busy.probes(PAUSE)).containsExactly(fire(1, 1), fire(2, 1));
    assertThat(busy.size()).isEqualTo(1);
    assertThat(busy.probes(PAUSE + 1)).as("the next probes wait a pause again").isEmpty();
  }

  @Test
  void fires_that_come_for_a_parked_job_wait_behind_it_and_go_in_order_when_its_row_is_free() {
    busy.park(fire(1, 1), 0);
    List<Firing.Due> ready = new ArrayList<>(List.of(fire(1, 3), fire(2, 3), fire(1, 2)));

    busy.parkBehind(ready);

    assertThat(ready).containsExactly(fire(2, 3));
    List<Firing.Due> probes = busy.probes(PAUSE);
    assertThat(probes).containsExactly(fire(1, 1));
    // The probe found the row free: the rest of the job's fires go, in their order.
    assertThat(busy.release(1)).containsExactly(fire(1, 2), fire(1, 3));
    assertThat(busy.isEmpty()).isTrue();
    assertThat(busy.release(1)).isEmpty();
  }

  @Test
  void a_probe_that_finds_the_row_held_again_stays_first_of_its_job() {
    busy.park(fire(1, 1), 0);
    busy.park(fire(1, 2), 0);
    Firing.Due probe = busy.probes(PAUSE).get(0);

    busy.park(probe, PAUSE);

    assertThat(busy.probes(2 * PAUSE)).containsExactly(fire(1, 1));
    assertThat(busy.clear()).containsExactly(fire(1, 2));
    assertThat(busy.size()).isZero();
  }
}
