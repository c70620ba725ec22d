package io.nightshift.scheduler.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EnginePoolTest {
  @Test
  void waiting_work_runs_by_rank_then_in_order_of_arrival() throws Exception {
    EnginePool pool = new EnginePool(1, "engine-pool-test-");
    try {
      CountDownLatch busy = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      pool.execute(
          () -> {
            busy.countDown();
            await(release);
          });
      assertThat(busy.await(10, TimeUnit.SECONDS)).isTrue();
      List<String> ran = new CopyOnWriteArrayList<>();
      pool.execute(() -> ran.add("start 1"), EnginePool.Rank.STARTING);
      pool.execute(() -> ran.add("timer 1"));
      pool.execute(() -> ran.add("start 2"), EnginePool.Rank.STARTING);
      pool.at(EnginePool.Rank.ENDING).execute(() -> ran.add("end 1"));
      pool.execute(() -> ran.add("timer 2"), EnginePool.Rank.NORMAL);
      pool.execute(() -> ran.add("end 2"), EnginePool.Rank.ENDING);

      release.countDown();
      pool.shutdown();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

      assertThat(ran).containsExactly("end 1", "end 2", "timer 1", "timer 2", "start 1", "start 2");
    } finally {
      pool.shutdownNow();
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
