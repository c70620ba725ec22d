package io.nightshift.scheduler.store;

import static io.nightshift.sql.Tables.JOB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.auth.TokenRepository;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.template.StoredTemplate;
import io.nightshift.scheduler.template.Template;
import io.nightshift.scheduler.template.TemplateParser;
import io.nightshift.scheduler.template.TemplateRepository;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The same behaviour on every store: run against MySQL/MariaDB and against the embedded H2. */
abstract class StoreContractTest {
  static final Instant T0 = Instant.parse("2026-11-22T03:30:01.123Z");

  Database db;
  TemplateRepository templates;
  TokenRepository tokens;
  AuditLog audit;

  abstract Database open();

  @BeforeEach
  void setUp() {
    db = open();
    templates = new TemplateRepository(db.dsl());
    tokens = new TokenRepository(db.dsl());
    audit = new AuditLog(db.dsl());
  }

  @AfterEach
  void tearDown() {
    TestDatabases.close(db);
  }

  static Template template(String name, String command) {
    return TemplateParser.parse(
        new JsonObject()
            .put("name", name)
            .put(
                "steps",
                new io.vertx.core.json.JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "s")
                            .put("kind", "command")
                            .put("command", command))),
        null);
  }

  @Test
  void a_created_template_reads_back_with_version_1_and_utc_times_to_the_millisecond() {
    templates.create(template("backup", "echo 1"), "alice", T0);

    StoredTemplate stored = templates.find("backup").orElseThrow();
    assertThat(stored.version()).isEqualTo(1);
    assertThat(stored.template()).isEqualTo(template("backup", "echo 1"));
    assertThat(stored.createdAt()).isEqualTo(T0);
    assertThat(stored.updatedBy()).isEqualTo("alice");
  }

  @Test
  void an_update_adds_a_version_and_keeps_the_old_one() {
    templates.create(template("backup", "echo 1"), "alice", T0);
    StoredTemplate v2 = templates.update(template("backup", "echo 2"), "bob", T0.plusSeconds(60));

    assertThat(v2.version()).isEqualTo(2);
    assertThat(templates.find("backup").orElseThrow().template())
        .isEqualTo(template("backup", "echo 2"));
    assertThat(templates.find("backup", 1).orElseThrow().template())
        .isEqualTo(template("backup", "echo 1"));
    assertThat(templates.find("backup").orElseThrow().createdAt()).isEqualTo(T0);
    assertThat(templates.find("backup").orElseThrow().updatedAt()).isEqualTo(T0.plusSeconds(60));
  }

  @Test
  void a_duplicate_name_is_a_conflict() {
    templates.create(template("backup", "echo 1"), "alice", T0);
    assertThatThrownBy(() -> templates.create(template("backup", "echo 1"), "alice", T0))
        .isInstanceOf(Conflict.class)
        .hasMessageContaining("backup");
  }

  @Test
  void updating_or_deleting_a_missing_template_is_not_found() {
    assertThatThrownBy(() -> templates.update(template("nope", "true"), "a", T0))
        .isInstanceOf(NotFound.class);
    assertThatThrownBy(() -> templates.delete("nope", "a", T0)).isInstanceOf(NotFound.class);
  }

  @Test
  void the_list_pages_by_name() {
    for (String name : List.of("c", "a", "e", "b", "d")) {
      templates.create(template(name, "true"), "alice", T0);
    }
    Page<StoredTemplate> first = templates.list(null, 2);
    assertThat(first.items()).extracting(StoredTemplate::name).containsExactly("a", "b");
    Page<StoredTemplate> second = templates.list(first.next(), 2);
    assertThat(second.items()).extracting(StoredTemplate::name).containsExactly("c", "d");
    Page<StoredTemplate> last = templates.list(second.next(), 2);
    assertThat(last.items()).extracting(StoredTemplate::name).containsExactly("e");
    assertThat(last.next()).isNull();
  }

  @Test
  void a_job_stored_by_a_node_of_an_earlier_version_counts_its_last_change_as_its_schedules() {
    templates.create(template("backup", "true"), "alice", T0);
    // As a node that predates the schedule_revision and schedule_changed_at columns stores it.
    insertJobRow(
        new JsonObject()
            .put("template", "backup")
            .put("params", new JsonObject())
            .put("schedule", new JsonObject().put("everySeconds", 60))
            .put("concurrency", "allow")
            .put("misfire", "fire_once")
            .encode(),
        T0.plusSeconds(5));

    var job = new io.nightshift.scheduler.job.JobRepository(db.dsl()).get("nightly");

    assertThat(job.scheduleRevision()).isEqualTo(1);
    assertThat(job.scheduleChangedAt()).isEqualTo(T0.plusSeconds(5));
  }

  @Test
  void a_schedule_change_through_a_node_of_an_earlier_version_counts_as_the_schedules() {
    templates.create(template("backup", "true"), "alice", T0);
    var jobs = new io.nightshift.scheduler.job.JobRepository(db.dsl());
    jobs.create(nightly(60, "a"), "alice", T0);
    // As a node that predates schedule_revision and schedule_changed_at changes the schedule: its
    // revision and updated_at move, those stay as they were.
    db.dsl()
        .update(JOB)
        .set(JOB.BODY, io.nightshift.scheduler.job.JobParser.body(nightly(30, "a")).encode())
        .set(JOB.REVISION, 2)
        .set(JOB.UPDATED_AT, T0.plusSeconds(60))
        .where(JOB.NAME.eq("nightly"))
        .execute();

    assertThat(jobs.get("nightly").scheduleRevision()).isEqualTo(2);
    assertThat(jobs.get("nightly").scheduleChangedAt()).isEqualTo(T0.plusSeconds(60));

    // A later change of its parameters through an upgraded node keeps that schedule change.
    jobs.update(nightly(30, "b"), "update", "bob", T0.plusSeconds(120));
    var job = jobs.get("nightly");
    assertThat(job.revision()).isEqualTo(3);
    assertThat(job.scheduleRevision()).isEqualTo(2);
    assertThat(job.scheduleChangedAt()).isEqualTo(T0.plusSeconds(60));
  }

  @Test
  void a_schedule_change_whose_time_was_read_before_an_earlier_ones_does_not_move_it_back() {
    templates.create(template("backup", "true"), "alice", T0);
    var jobs = new io.nightshift.scheduler.job.JobRepository(db.dsl());
    jobs.create(nightly(60, "a"), "alice", T0);
    jobs.update(nightly(30, "a"), "update", "bob", T0.plusSeconds(60));
    // A concurrent change that read its time first but took the row second.
    jobs.update(nightly(10, "a"), "update", "carol", T0.plusSeconds(59));

    var job = jobs.get("nightly");
    assertThat(job.scheduleRevision()).isEqualTo(3);
    assertThat(job.scheduleChangedAt()).isEqualTo(T0.plusSeconds(60));
  }

  @Test
  void a_change_of_anything_but_the_schedule_keeps_the_schedules_revision_and_time() {
    templates.create(template("backup", "true"), "alice", T0);
    var jobs = new io.nightshift.scheduler.job.JobRepository(db.dsl());
    jobs.create(nightly(60, "a"), "alice", T0);
    jobs.update(nightly(30, "a"), "update", "bob", T0.plusSeconds(60));
    jobs.update(nightly(30, "b"), "update", "bob", T0.plusSeconds(90));

    var job = jobs.get("nightly");
    assertThat(job.revision()).isEqualTo(3);
    assertThat(job.scheduleRevision()).isEqualTo(2);
    assertThat(job.scheduleChangedAt()).isEqualTo(T0.plusSeconds(60));
  }

  /** Job "nightly" of template "backup" every {@code seconds}, its parameter {@code x} given. */
  private static io.nightshift.scheduler.job.JobSpec nightly(int seconds, String x) {
    return io.nightshift.scheduler.job.JobParser.parse(
        new JsonObject()
            .put("name", "nightly")
            .put("template", "backup")
            .put("params", new JsonObject().put("x", x))
            .put("schedule", new JsonObject().put("everySeconds", seconds)),
        null,
        null,
        T0);
  }

  /** Job "nightly" of template "backup" written as a row, with only the columns named here. */
  private void insertJobRow(String body, Instant updatedAt) {
    db.dsl()
        .insertInto(JOB)
        .set(JOB.NAME, "nightly")
        .set(JOB.TEMPLATE_NAME, "backup")
        .set(JOB.BODY, body)
        .set(JOB.ENABLED, true)
        .set(JOB.REVISION, 1)
        .set(JOB.CREATED_AT, T0)
        .set(JOB.UPDATED_AT, updatedAt)
        .execute();
  }

  @Test
  void a_template_used_by_a_job_cannot_be_deleted() {
    templates.create(template("backup", "true"), "alice", T0);
    insertJobRow("{}", T0);

    assertThatThrownBy(() -> templates.delete("backup", "alice", T0))
        .isInstanceOf(Conflict.class)
        .hasMessageContaining("nightly");
    assertThat(templates.find("backup")).isPresent();
  }

  @Test
  void a_deleted_template_is_gone_with_its_versions() {
    templates.create(template("backup", "true"), "alice", T0);
    templates.update(template("backup", "false"), "alice", T0);
    templates.delete("backup", "alice", T0);
    assertThat(templates.find("backup")).isEmpty();
    assertThat(templates.find("backup", 1)).isEmpty();
  }

  @Test
  void a_template_deleted_and_created_again_reads_back_its_new_body_not_a_kept_parse() {
    templates.create(template("backup", "echo old"), "alice", T0);
    assertThat(templates.find("backup").orElseThrow().template())
        .isEqualTo(template("backup", "echo old"));
    templates.delete("backup", "alice", T0);
    templates.create(template("backup", "echo new"), "alice", T0);

    assertThat(templates.find("backup").orElseThrow().template())
        .isEqualTo(template("backup", "echo new"));
    assertThat(templates.find("backup", 1).orElseThrow().template())
        .isEqualTo(template("backup", "echo new"));
    assertThat(templates.in(db.dsl()).find("backup").orElseThrow().template())
        .isEqualTo(template("backup", "echo new"));
  }

  @Test
  void every_change_is_audited_with_who_what_when_and_target() {
    templates.create(template("backup", "true"), "alice", T0);
    templates.update(template("backup", "false"), "bob", T0.plusSeconds(1));
    templates.delete("backup", "carol", T0.plusSeconds(2));

    var events = audit.recent("template", "backup", 10);
    assertThat(events)
        .extracting(e -> e.actor() + " " + e.action())
        .containsExactly("carol template.delete", "bob template.update", "alice template.create");
    assertThat(events.get(2).at()).isEqualTo(T0);
    assertThat(events.get(1).detail().getInteger("version")).isEqualTo(2);
  }

  @Test
  void tokens_are_found_by_hash_only_and_names_are_unique() {
    tokens.create("ci", List.of("operator"), null, "a".repeat(64), "admin", T0);

    assertThat(tokens.findBySecretHash("a".repeat(64)).orElseThrow().roles())
        .containsExactly("operator");
    assertThat(tokens.findBySecretHash("b".repeat(64))).isEmpty();
    assertThatThrownBy(
            () -> tokens.create("ci", List.of("viewer"), null, "c".repeat(64), "admin", T0))
        .isInstanceOf(Conflict.class);
    tokens.delete("ci", "admin", T0);
    assertThat(tokens.list()).isEmpty();
    assertThatThrownBy(() -> tokens.delete("ci", "admin", T0)).isInstanceOf(NotFound.class);
  }

  @Test
  void putting_a_configured_token_replaces_its_secret() {
    tokens.put("admin", List.of("admin"), "a".repeat(64), "system", T0);
    tokens.put("admin", List.of("admin"), "b".repeat(64), "system", T0);

    assertThat(tokens.findBySecretHash("a".repeat(64))).isEmpty();
    assertThat(tokens.findBySecretHash("b".repeat(64))).isPresent();
    assertThat(tokens.count()).isEqualTo(1);
  }
}
