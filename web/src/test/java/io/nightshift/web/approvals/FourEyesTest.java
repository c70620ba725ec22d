package io.nightshift.web.approvals;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Nobody who asked for a run approves it: not its starter, not whoever retried it, not the creator
 * or last changer of its job, not the author of its template version, and not with a second token
 * of the same person. A template change that weakens an approval is recorded and named in the
 * approval.
 */
class FourEyesTest {
  private ApprovalsApi api;
  private String alice;
  private String aliceApprover;
  private String carol;

  @BeforeEach
  void start() {
    api = ApprovalsApi.start(TestServer.Store.H2);
    alice = api.server.token("alice", "operator");
    aliceApprover = owned("alice-approver", "alice", "approver", "qa");
    carol = api.server.token("carol", "operator", "approver", "qa");
  }

  @AfterEach
  void stop() {
    api.close();
  }

  @Test
  void the_creator_of_a_job_may_not_approve_its_runs_whoever_starts_them() {
    String template = api.createTemplate(gated(ApprovalsApi.uniqueName("job-gated"), "true"));
    Answer job =
        api.server.post(
            "/api/v1/jobs",
            alice,
            new JsonObject().put("name", "nightly").put("template", template).encode());
    assertThat(job.status()).as(job.toString()).isEqualTo(201);
    // Started by someone else (the scheduler case: the starter is not a person).
    Answer run = api.server.post("/api/v1/jobs/nightly/runs", api.deployer, "{}");
    assertThat(run.status()).as(run.toString()).isEqualTo(202);
    long runId = run.json().getLong("id");
    api.awaitWaiting(runId);
    long approval = api.approvalOf(runId).getLong("id");

    Answer byCreator = api.approve(approval, aliceApprover, "fine");
    assertThat(byCreator.status()).as(byCreator.toString()).isEqualTo(403);
    assertThat(byCreator.errorMessage()).contains("alice").contains("may not approve");
    assertThat(api.approval(approval).getJsonArray("requesters").getList())
        .contains("alice", "deployer", "author");
    assertThat(api.approve(approval, api.anna, "ok").status()).isEqualTo(200);
  }

  @Test
  void a_second_token_of_the_starter_and_the_operator_who_retries_may_not_approve()
      throws Exception {
    Path flag = TempFolders.createFile("nightshift-flag-");
    Files.delete(flag);
    String template =
        api.createTemplate(gated(ApprovalsApi.uniqueName("retry"), "test -f " + flag));
    long first = api.start(alice, template, new JsonObject());
    assertThat(api.awaitEnd(first).getString("status")).isEqualTo("FAILED");
    Files.createFile(flag);
    Answer retried = api.server.post("/api/v1/runs/" + first + "/retry", carol, "{}");
    assertThat(retried.status()).as(retried.toString()).isEqualTo(202);
    long retry = retried.json().getLong("id");
    api.awaitWaiting(retry);
    long approval = api.approvalOf(retry).getLong("id");

    assertThat(api.approve(approval, aliceApprover, "mine").status()).isEqualTo(403);
    assertThat(api.approve(approval, carol, "I only retried").status()).isEqualTo(403);
    Answer anna = api.approve(approval, api.anna, "ok");
    assertThat(anna.status()).as(anna.toString()).isEqualTo(200);
  }

  @Test
  void
      weakening_an_approval_is_recorded_and_named_in_the_approval_and_its_author_may_not_approve() {
    String name = ApprovalsApi.uniqueName("weak");
    api.createTemplate(gated(name, "true"));
    JsonObject weaker = gated(name, "true");
    JsonObject qa = weaker.getJsonArray("steps").getJsonObject(1);
    qa.put("onTimeout", "approve")
        .put("timeoutSeconds", 3000)
        .put("approvers", new JsonArray().add("role:qa").add("carol"));
    Answer updated = api.server.put("/api/v1/templates/" + name, carol, weaker.encode());
    assertThat(updated.status()).as(updated.toString()).isEqualTo(200);

    Answer audit = api.server.get("/api/v1/audit?target=" + name, ADMIN_TOKEN);
    assertThat(audit.body())
        .contains("template.approval_weakened")
        .contains("onTimeout deny -> approve")
        .contains("timeoutSeconds 3600 -> 3000")
        .contains("approvers added: [carol]");

    long runId = api.start(api.deployer, name, new JsonObject());
    api.awaitWaiting(runId);
    JsonObject approval = api.approval(api.approvalOf(runId).getLong("id"));
    assertThat(approval.getJsonArray("weakenedBy").encode())
        .contains("by carol")
        .contains("onTimeout deny -> approve");
    assertThat(api.approve(approval.getLong("id"), carol, "trust me").status()).isEqualTo(403);

    JsonObject removed = gated(name, "true");
    removed.getJsonArray("steps").remove(1);
    assertThat(api.server.put("/api/v1/templates/" + name, carol, removed.encode()).status())
        .isEqualTo(200);
    assertThat(api.server.get("/api/v1/audit?target=" + name, ADMIN_TOKEN).body())
        .contains("approval step 'qa' removed");
  }

  @Test
  void a_strictly_stronger_template_change_is_not_recorded_as_weakening() {
    String name = ApprovalsApi.uniqueName("strong");
    api.createTemplate(gated(name, "true"));
    JsonObject stronger = gated(name, "true");
    stronger.getJsonArray("steps").getJsonObject(1).put("timeoutSeconds", 7200);
    assertThat(api.server.put("/api/v1/templates/" + name, carol, stronger.encode()).status())
        .isEqualTo(200);
    assertThat(api.server.get("/api/v1/audit?target=" + name, ADMIN_TOKEN).body())
        .doesNotContain("template.approval_weakened");
  }

  private String owned(String name, String owner, String... roles) {
    Answer created =
        api.server.post(
            "/api/v1/tokens",
            ADMIN_TOKEN,
            new JsonObject()
                .put("name", name)
                .put("owner", owner)
                .put("roles", new JsonArray(java.util.List.of(roles)))
                .encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    assertThat(created.json().getString("owner")).isEqualTo(owner);
    return created.json().getString("token");
  }

  /** A command step, then an approval {@code qa} for role:qa that denies after an hour. */
  private static JsonObject gated(String name, String command) {
    return new JsonObject()
        .put("name", name)
        .put(
            "steps",
            new JsonArray()
                .add(
                    new JsonObject()
                        .put("name", "prepare")
                        .put("kind", "command")
                        .put("command", command))
                .add(
                    new JsonObject()
                        .put("name", "qa")
                        .put("kind", "approval")
                        .put("approvers", new JsonArray().add("role:qa"))
                        .put("timeoutSeconds", 3600)
                        .put("onTimeout", "deny")));
  }
}
