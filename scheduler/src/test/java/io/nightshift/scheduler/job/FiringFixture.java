package io.nightshift.scheduler.job;

import static io.nightshift.sql.Tables.JOB_FIRE;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nightshift.scheduler.SettableClock;
import io.nightshift.scheduler.run.CreatedRuns;
import io.nightshift.scheduler.run.FlakyWrites;
import io.nightshift.scheduler.run.Trigger;
import io.nightshift.scheduler.store.Database;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.scheduler.template.TemplateParser;
import io.nightshift.scheduler.template.TemplateRepository;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.jooq.DSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * A store with template "gate" (one approval step: its runs stay active), jobs and firing nodes
 * that hand their runs to a recorder ({@link #handed}), on a settable clock.
 */
abstract class FiringFixture {
  final SettableClock clock = SettableClock.now();
  final FlakyWrites flaky = new FlakyWrites();

  /** The runs claims handed over, as the engine would get them. */
  final List<String> handed = java.util.Collections.synchronizedList(new ArrayList<>());

  final CreatedRuns engine =
      new CreatedRuns() {
        @Override
        public void startCreated(long runId) {
          handed.add("start " + runId);
        }

        @Override
        public void queued(long runId) {
          handed.add("queued " + runId);
        }
      };
  Database database;
  DSLContext dsl;
  TemplateRepository templates;
  JobRepository jobs;

  abstract Database open();

  @BeforeEach
  void store() {
    database = open();
    dsl = flaky.wrap(database.dsl());
    templates = new TemplateRepository(dsl);
    jobs = new JobRepository(dsl);
    // Its step waits for an approval: its runs stay active (what a forbid or queue job looks at).
    templates.create(
        TemplateParser.parse(
            new JsonObject()
                .put("name", "gate")
                .put(
                    "steps",
                    new JsonArray()
                        .add(
                            new JsonObject()
                                .put("name", "ok")
                                .put("kind", "approval")
                                .put("approvers", new JsonArray().add("ops")))),
            null),
        "alice",
        clock.instant());
  }

  @AfterEach
  void close() {
    TestDatabases.close(database);
  }

  Firing firing(String node, SimpleMeterRegistry metrics) {
    return firing(node, metrics, clock, clock);
  }

  /** A node whose own clock is {@code nodeClock} in a cluster whose time is {@code cluster}. */
  Firing firing(
      String node,
      SimpleMeterRegistry metrics,
      java.time.Clock nodeClock,
      java.time.Clock cluster) {
    // Each Firing is a process of its own (a node instance), as at each start.
    return new Firing(
        dsl,
        templates,
        engine,
        node,
        java.util.UUID.randomUUID().toString(),
        nodeClock,
        cluster,
        metrics);
  }

  StoredJob job(String name, String concurrency) {
    return job(name, concurrency, clock.instant());
  }

  /** Job {@code name} every second, created at {@code at}. */
  StoredJob job(String name, String concurrency, Instant at) {
    return jobs.create(
        JobParser.parse(
            new JsonObject()
                .put("name", name)
                .put("template", "gate")
                .put("concurrency", concurrency)
                .put("schedule", new JsonObject().put("everySeconds", 1)),
            null,
            null,
            at),
        "alice",
        at);
  }

  Firing.Due due(StoredJob job, Instant at) {
    return new Firing.Due(job.id(), job.name(), at, Trigger.INTERVAL, null);
  }

  /** The times of the job's fires recorded with {@code outcome}, by their runs' order. */
  List<Instant> fires(StoredJob job, String outcome) {
    return dsl.select(JOB_FIRE.SCHEDULED_AT)
        .from(JOB_FIRE)
        .where(JOB_FIRE.JOB_ID.eq(job.id()).and(JOB_FIRE.OUTCOME.eq(outcome)))
        .orderBy(JOB_FIRE.RUN_ID, JOB_FIRE.SCHEDULED_AT)
        .fetch(JOB_FIRE.SCHEDULED_AT);
  }

  Instant second() {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS);
  }

  int count(org.jooq.Table<?> table, org.jooq.Condition where) {
    return dsl.fetchCount(table, where);
  }
}
