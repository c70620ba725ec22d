package io.nightshift.web.jobs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static io.nightshift.web.jobs.JobsKit.createJob;
import static io.nightshift.web.jobs.JobsKit.job;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Run-now and retries of a job's runs are admitted by the job's concurrency policy under the job's
 * lock, like its fires: forbid answers 409 naming the active run unless forced; queue stores the
 * new run QUEUED behind the active one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobAdmissionTest {
  static final JsonObject NEVER = new JsonObject().put("at", "2099-01-01T00:00:00Z");

  TestServer server;

  @BeforeAll
  void start() {
    server = TestServer.start(TestServer.Store.H2);
    JobsKit.template(server, "long", "sleep $secs", "[{\"name\":\"secs\",\"default\":\"60\"}]");
  }

  @AfterAll
  void stop() {
    server.close();
  }

  private Answer runNow(String job, String body) {
    return server.post("/api/v1/jobs/" + job + "/runs", ADMIN_TOKEN, body);
  }

  private long started(Answer answer) {
    assertThat(answer.status()).as(answer.toString()).isEqualTo(202);
    return answer.json().getLong("id");
  }

  private String status(long run) {
    return server.get("/api/v1/runs/" + run, ADMIN_TOKEN).json().getString("status");
  }

  private void cancel(long run) {
    Answer canceled = server.post("/api/v1/runs/" + run + "/cancel", ADMIN_TOKEN, null);
    assertThat(canceled.status()).as(canceled.toString()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(20)).until(() -> status(run).equals("CANCELED"));
  }

  @Test
  void run_now_of_a_forbid_job_with_an_active_run_is_409_naming_it_unless_forced() {
    createJob(server, job("nightly", "long", NEVER).put("concurrency", "forbid"));
    long first = started(runNow("nightly", null));

    Answer refused = runNow("nightly", "{}");
    assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
    assertThat(refused.json().getJsonObject("error").getString("code")).isEqualTo("job_run_active");
    assertThat(refused.errorMessage()).contains("run " + first).contains("force");

    long forced = started(runNow("nightly", "{\"force\": true}"));
    assertThat(status(forced)).isIn("RUNNING");
    cancel(first);
    cancel(forced);

    // Nothing active any more: admitted without force.
    long later = started(runNow("nightly", "{\"params\": {\"secs\": \"0\"}}"));
    await().atMost(Duration.ofSeconds(20)).until(() -> status(later).equals("SUCCEEDED"));
  }

  @Test
  void a_queue_job_keeps_at_most_a_hundred_runs_waiting_then_refuses_saying_so() {
    createJob(server, job("drain", "long", NEVER).put("concurrency", "queue"));
    long running = started(runNow("drain", null));
    for (int i = 0; i < io.nightshift.scheduler.job.JobAdmission.MAX_QUEUED; i++) {
      Answer queued = runNow("drain", null);
      assertThat(queued.status()).as("run-now %d: %s", i, queued).isEqualTo(202);
      assertThat(queued.json().getString("status")).isEqualTo("QUEUED");
    }

    Answer refused = runNow("drain", "{\"force\": true}");
    assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
    assertThat(refused.json().getJsonObject("error").getString("code")).isEqualTo("job_queue_full");
    assertThat(refused.errorMessage())
        .isEqualTo(
            "job 'drain': 100 runs of this job are queued already, the most a job keeps waiting"
                + " (100); cancel some or wait for them");

    // Its delete cancels the waiting runs; the running one is canceled here.
    assertThat(server.delete("/api/v1/jobs/drain", ADMIN_TOKEN).status()).isEqualTo(204);
    cancel(running);
  }

  @Test
  void a_retry_of_a_forbid_jobs_run_is_admitted_like_a_run_now() {
    createJob(server, job("backup", "long", NEVER).put("concurrency", "forbid"));
    long failed = started(runNow("backup", null));
    cancel(failed);
    long active = started(runNow("backup", null));

    Answer refused = server.post("/api/v1/runs/" + failed + "/retry", ADMIN_TOKEN, null);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(409);
    assertThat(refused.errorMessage()).contains("run " + active);

    long retry =
        started(server.post("/api/v1/runs/" + failed + "/retry", ADMIN_TOKEN, "{\"force\":true}"));
    assertThat(server.get("/api/v1/runs/" + retry, ADMIN_TOKEN).json().getLong("retryOf"))
        .isEqualTo(failed);
    cancel(active);
    cancel(retry);
  }

  @Test
  void run_now_of_a_queue_job_waits_queued_behind_the_active_run_then_starts() {
    createJob(server, job("deploys", "long", NEVER).put("concurrency", "queue"));
    long first = started(runNow("deploys", null));
    long second = started(runNow("deploys", null));
    assertThat(status(second)).isEqualTo("QUEUED");

    cancel(first);
    await().atMost(Duration.ofSeconds(20)).until(() -> status(second).equals("RUNNING"));
    cancel(second);
  }

  @Test
  void an_allow_job_starts_every_run_now_at_once() {
    createJob(server, job("checks", "long", NEVER).put("concurrency", "allow"));
    long first = started(runNow("checks", null));
    long second = started(runNow("checks", null));
    assertThat(status(first)).isEqualTo("RUNNING");
    assertThat(status(second)).isEqualTo("RUNNING");
    cancel(first);
    cancel(second);
  }
}
