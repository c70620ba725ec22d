package io.nightshift.scheduler.notify;

import static io.nightshift.sql.Tables.WEBHOOK_OUTBOX;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.SettableClock;
import io.nightshift.scheduler.job.JobParser;
import io.nightshift.scheduler.job.JobRepository;
import io.nightshift.scheduler.run.NewRun;
import io.nightshift.scheduler.run.NewRunRepository;
import io.nightshift.scheduler.run.RunEventRepository;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.RunStatus;
import io.nightshift.scheduler.run.Trigger;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.scheduler.template.StoredTemplate;
import io.nightshift.scheduler.template.TemplateParser;
import io.nightshift.scheduler.template.TemplateRepository;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.jooq.DSLContext;
import org.jooq.ExecuteContext;
import org.jooq.ExecuteListener;
import org.jooq.impl.DSL;
import org.jooq.impl.DefaultExecuteListenerProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Webhook deliveries written from claimed events on a real store (embedded and MariaDB: {@link
 * H2WebhookFanOutTest}, {@link MySqlWebhookFanOutTest}).
 */
abstract class WebhookFanOutContract {
  final SettableClock clock = SettableClock.now();
  final AtomicInteger selects = new AtomicInteger();
  Database database;
  DSLContext dsl;

  abstract Database open();

  @BeforeEach
  void store() {
    database = open();
    ExecuteListener counting =
        new ExecuteListener() {
          @Override
          public void executeStart(ExecuteContext ctx) {
            if (ctx.sql() != null && ctx.sql().trim().toLowerCase().startsWith("select")) {
              selects.incrementAndGet();
            }
          }
        };
    dsl =
        DSL.using(
            database.dsl().configuration().derive(new DefaultExecuteListenerProvider(counting)));
  }

  @AfterEach
  void close() {
    TestDatabases.close(database);
  }

  static JsonArray hook(String url, String event) {
    return new JsonArray()
        .add(new JsonObject().put("url", url).put("events", new JsonArray().add(event)));
  }

  @Test
  void the_runs_and_jobs_of_a_claimed_batch_are_read_once_each_and_every_hook_gets_its_delivery() {
    TemplateRepository templates = new TemplateRepository(dsl);
    StoredTemplate template =
        templates.create(
            TemplateParser.parse(
                new JsonObject()
                    .put("name", "t")
                    .put("notify", hook("http://127.0.0.1:9/template", "run.running"))
                    .put(
                        "steps",
                        new JsonArray()
                            .add(
                                new JsonObject()
                                    .put("name", "a")
                                    .put("kind", "command")
                                    .put("command", "true"))),
                null),
            "alice",
            clock.instant());
    JobRepository jobs = new JobRepository(dsl);
    for (String job : List.of("j1", "j2", "j3")) {
      jobs.create(
          JobParser.parse(
              new JsonObject()
                  .put("name", job)
                  .put("template", "t")
                  .put("notify", hook("http://127.0.0.1:9/" + job, "run.*"))
                  .put("schedule", new JsonObject().put("everySeconds", 3600)),
              null,
              null,
              clock.instant()),
          "alice",
          clock.instant());
    }
    List<NewRunRepository.Admitted> runs = new ArrayList<>();
    for (String job : List.of("j1", "j2", "j3", "j1", "j2", "j3")) {
      runs.add(
          new NewRunRepository.Admitted(
              new NewRun(
                  template.template(),
                  template.version(),
                  job,
                  Trigger.INTERVAL,
                  "scheduler",
                  Map.of(),
                  null),
              RunStatus.RUNNING));
    }
    List<Long> ids = new ArrayList<>();
    for (NewRunRepository.Admitted run : runs) {
      // one run per statement: a batch of runs of one job is not what a claim makes
      ids.addAll(
          dsl.transactionResult(
              cfg -> NewRunRepository.insertAll(cfg.dsl(), List.of(run), clock.instant())));
    }
    List<RunEventRepository.Stored> events = new RunEventRepository(dsl).unrelayed(100);
    assertThat(events).hasSize(6);
    WebhookFanOut fanOut = new WebhookFanOut(new RunRepository(dsl), jobs, clock, null);
    selects.set(0);

    boolean wrote = dsl.transactionResult(cfg -> fanOut.claimed(cfg.dsl(), events));

    assertThat(wrote).isTrue();
    assertThat(selects.get())
        .as("one read of the six runs and one of their three jobs")
        .isEqualTo(2);
    for (int i = 0; i < ids.size(); i++) {
      long id = ids.get(i);
      String job = runs.get(i).run().job();
      var rows =
          dsl.selectFrom(WEBHOOK_OUTBOX)
              .where(WEBHOOK_OUTBOX.RUN_ID.eq(id))
              .orderBy(WEBHOOK_OUTBOX.HOOK)
              .fetch();
      assertThat(rows)
          .extracting(r -> r.getHook() + " " + r.getUrl() + " " + r.getEvent())
          .containsExactly(
              "job:0 http://127.0.0.1:9/" + job + " run.running",
              "template:0 http://127.0.0.1:9/template run.running");
      for (var row : rows) {
        JsonObject payload = new JsonObject(row.getBody());
        assertThat(payload.getLong("runId")).isEqualTo(id);
        assertThat(payload.getString("job")).isEqualTo(job);
      }
    }
  }

  /**
   * A run failing into its rollback is one stored change announced as two events, run.failed then
   * run.rolling_back, with one eventId: the second waits for the first (before, both were due at
   * once and went out in either order).
   */
  @Test
  void two_events_of_one_stored_change_go_out_in_the_order_they_were_written() {
    WebhookOutboxRepository outbox = new WebhookOutboxRepository(dsl);
    java.time.Instant now = clock.instant();
    WebhookOutboxRepository.add(
        dsl, 5, 7, "template:0", "http://127.0.0.1:9/", "run.failed", "{}", "d-f", now);
    WebhookOutboxRepository.add(
        dsl, 5, 7, "template:0", "http://127.0.0.1:9/", "run.rolling_back", "{}", "d-r", now);
    WebhookOutboxRepository.add(
        dsl, 5, 7, "template:1", "http://127.0.0.1:9/", "run.failed", "{}", "d-f1", now);

    List<WebhookOutboxRepository.Pending> due = outbox.due(now, 10);
    assertThat(due)
        .extracting(WebhookOutboxRepository.Pending::deliveryId)
        .containsExactly("d-f", "d-f1");
    WebhookOutboxRepository.Pending failed = due.get(0);
    assertThat(outbox.claim(failed.id(), "node-a", now, now.plusSeconds(20))).isTrue();
    outbox.done(failed.id(), "node-a", 1, "delivered", now);
    assertThat(outbox.due(now, 10))
        .extracting(WebhookOutboxRepository.Pending::deliveryId)
        .containsExactly("d-r", "d-f1");
  }

  @Test
  void a_try_whose_node_died_before_it_ended_counts_and_the_next_is_sent_as_the_one_after() {
    WebhookOutboxRepository outbox = new WebhookOutboxRepository(dsl);
    java.time.Instant now = clock.instant();
    WebhookOutboxRepository.add(
        dsl, 1, 7, "template:0", "http://127.0.0.1:9/", "run.running", "{}", "d-1", now);
    WebhookOutboxRepository.Pending first = outbox.due(now, 10).get(0);
    assertThat(first.attempts()).isZero();
    assertThat(outbox.claim(first.id(), "node-a", now, now.plusSeconds(20))).isTrue();

    // node-a dies while sending: its claim runs out and another node takes the delivery.
    java.time.Instant later = now.plusSeconds(21);
    WebhookOutboxRepository.Pending again = outbox.due(later, 10).get(0);
    assertThat(again.attempts()).as("the try node-a took").isEqualTo(1);
    assertThat(outbox.claim(again.id(), "node-b", later, later.plusSeconds(20))).isTrue();
    outbox.done(again.id(), "node-b", again.attempts() + 1, "delivered", later);
    assertThat(dsl.selectFrom(WEBHOOK_OUTBOX).fetchOne().getAttempts()).isEqualTo(2);
  }

  @Test
  void a_jobs_fire_events_go_to_its_own_webhooks_in_a_chain_of_their_own_per_job() {
    new TemplateRepository(dsl)
        .create(
            TemplateParser.parse(
                new JsonObject()
                    .put("name", "t")
                    .put(
                        "steps",
                        new JsonArray()
                            .add(
                                new JsonObject()
                                    .put("name", "a")
                                    .put("kind", "command")
                                    .put("command", "true"))),
                null),
            "alice",
            clock.instant());
    JobRepository jobs = new JobRepository(dsl);
    List<Long> jobIds = new ArrayList<>();
    for (String job : List.of("j1", "j2")) {
      jobIds.add(
          jobs.create(
                  JobParser.parse(
                      new JsonObject()
                          .put("name", job)
                          .put("template", "t")
                          .put(
                              "notify",
                              hook("http://127.0.0.1:9/" + job, "run.*")
                                  .add(
                                      new JsonObject()
                                          .put("url", "http://127.0.0.1:9/fires-" + job)
                                          .put("events", new JsonArray().add("job.*"))))
                          .put("schedule", new JsonObject().put("everySeconds", 3600)),
                      null,
                      null,
                      clock.instant()),
                  "alice",
                  clock.instant())
              .id());
    }
    java.time.Instant at = clock.instant();
    List<RunEventRepository.New> fires = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      // j1's two fires, then j2's one
      fires.add(fireFailed(jobIds.get(0), "j1", at.plusSeconds(i)));
    }
    fires.add(fireFailed(jobIds.get(1), "j2", at));
    RunEventRepository.addAll(dsl, fires, at);
    List<RunEventRepository.Stored> events = new RunEventRepository(dsl).unrelayed(100);
    WebhookFanOut fanOut = new WebhookFanOut(new RunRepository(dsl), jobs, clock, null);

    boolean wrote = dsl.transactionResult(cfg -> fanOut.claimed(cfg.dsl(), events));

    assertThat(wrote).isTrue();
    var rows = dsl.selectFrom(WEBHOOK_OUTBOX).orderBy(WEBHOOK_OUTBOX.ID).fetch();
    assertThat(rows)
        .extracting(r -> r.getRunId() + " " + r.getHook() + " " + r.getUrl() + " " + r.getEvent())
        .containsExactly(
            "0 job:" + jobIds.get(0) + ":1 http://127.0.0.1:9/fires-j1 job.fire_failed",
            "0 job:" + jobIds.get(0) + ":1 http://127.0.0.1:9/fires-j1 job.fire_failed",
            "0 job:" + jobIds.get(1) + ":1 http://127.0.0.1:9/fires-j2 job.fire_failed");
    JsonObject payload = new JsonObject(rows.get(2).getBody());
    assertThat(payload.getString("job")).isEqualTo("j2");
    assertThat(payload.getString("template")).isEqualTo("t");
    assertThat(payload.getString("reason")).isEqualTo("template 't' does not exist");
    // One job's chain waits for its first delivery; the other job's is due beside it.
    assertThat(new WebhookOutboxRepository(dsl).due(clock.instant(), 10))
        .extracting(WebhookOutboxRepository.Pending::id)
        .containsExactly(rows.get(0).getId(), rows.get(2).getId());
    assertThat(fanOut.ofFire(rows.get(2).getHook(), rows.get(2).getUrl()).url())
        .isEqualTo("http://127.0.0.1:9/fires-j2");
    assertThat(fanOut.ofFire(rows.get(2).getHook(), "http://127.0.0.1:9/elsewhere")).isNull();
  }

  private static RunEventRepository.New fireFailed(long jobId, String job, java.time.Instant at) {
    return new RunEventRepository.New(
        io.nightshift.scheduler.run.RunEvents.NO_RUN,
        io.nightshift.scheduler.run.RunEvents.fire(
            "job.fire_failed", jobId, job, at, "template 't' does not exist", null, at));
  }
}
