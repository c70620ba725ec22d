package io.nightshift.web.approvals;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MySqlApprovalFlowTest extends ApprovalFlowTest {
  @Override
  TestServer.Store store() {
    return TestServer.Store.MYSQL;
  }

  /**
   * Two nodes share the MySQL: no in-process lock orders their decisions, only the database's
   * compare-and-set on the approval row.
   */
  @Test
  void two_nodes_deciding_the_same_approval_at_once_give_one_200_and_one_409() throws Exception {
    String template = template("game-update-two-nodes");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (TestServer other = api.startSecondNode()) {
      for (int round = 0; round < 3; round++) {
        Waiting w = waitingRun(template);
        CountDownLatch go = new CountDownLatch(1);
        String path = "/api/v1/approvals/" + w.approvalId();
        Callable<Answer> approveHere =
            () -> {
              go.await();
              return api.server.post(
                  path + "/approve", api.anna, new JsonObject().put("comment", "ok").encode());
            };
        Callable<Answer> denyThere =
            () -> {
              go.await();
              return other.post(
                  path + "/deny", ADMIN_TOKEN, new JsonObject().put("comment", "no").encode());
            };
        Future<Answer> approved = pool.submit(approveHere);
        Future<Answer> denied = pool.submit(denyThere);
        go.countDown();
        Answer a = approved.get(30, TimeUnit.SECONDS);
        Answer d = denied.get(30, TimeUnit.SECONDS);

        assertThat(List.of(a.status(), d.status()))
            .as(a + " / " + d)
            .containsExactlyInAnyOrder(200, 409);
        boolean approvedWon = a.status() == 200;
        JsonObject approval = api.approval(w.approvalId());
        assertThat(approval.getString("status")).isEqualTo(approvedWon ? "APPROVED" : "DENIED");
        assertThat(approval.getString("decidedBy")).isEqualTo(approvedWon ? "qa-anna" : "admin");
        assertThat(api.audit(w.approvalId())).hasSize(1);
        JsonObject run = api.awaitEnd(w.runId());
        assertThat(run.getString("status"))
            .as(run.encodePrettily())
            .isEqualTo(approvedWon ? "SUCCEEDED" : "ROLLED_BACK");
        assertThat(ApprovalsApi.step(run, "qa").getString("status"))
            .isEqualTo(approvedWon ? "SUCCEEDED" : "DENIED");
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
