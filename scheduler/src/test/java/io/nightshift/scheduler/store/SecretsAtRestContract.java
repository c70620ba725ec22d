package io.nightshift.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.job.Concurrency;
import io.nightshift.scheduler.job.JobRepository;
import io.nightshift.scheduler.job.JobSpec;
import io.nightshift.scheduler.job.Misfire;
import io.nightshift.scheduler.run.NewRun;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.RunRepository;
import io.nightshift.scheduler.run.Trigger;
import io.nightshift.scheduler.secrets.SecretCipher;
import io.nightshift.scheduler.secrets.SecretKeyException;
import io.nightshift.scheduler.secrets.SecretsRepository;
import io.nightshift.scheduler.template.Template;
import io.nightshift.scheduler.template.TemplateParser;
import io.nightshift.scheduler.template.TemplateRepository;
import io.nightshift.scheduler.template.Webhook;
import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Secrets at rest, the same on every store: encrypted in the rows (read with plain JDBC), read back
 * in clear by the repositories, rows written in clear before encryption still read, a missing key
 * is a clear error, and rotation seals them again with the new key.
 */
abstract class SecretsAtRestContract {
  static final Instant T0 = Instant.parse("2026-11-22T03:30:01.123Z");

  final String webhookSecret = "hook-" + UUID.randomUUID();
  final String defaultSecret = "default-" + UUID.randomUUID();
  final String jobSecret = "job-" + UUID.randomUUID();
  final String runSecret = "run-" + UUID.randomUUID();
  final byte[] key = key();

  Database db;

  abstract Database open();

  @BeforeEach
  void setUp() {
    db = open();
    SecretCipher.of(key, List.of()).attach(db.dsl());
  }

  @AfterEach
  void tearDown() {
    TestDatabases.close(db);
  }

  static byte[] key() {
    byte[] key = new byte[SecretCipher.KEY_BYTES];
    new SecureRandom().nextBytes(key);
    return key;
  }

  Template template() {
    return TemplateParser.parse(
        new JsonObject(
            """
            {"name": "vault",
             "params": [{"name": "password", "secret": true, "default": "%s"}, {"name": "user"}],
             "steps": [{"name": "s", "kind": "command", "command": "true"}],
             "notify": [{"url": "https://chat.example/hook", "secret": "%s"}]}
            """
                .formatted(defaultSecret, webhookSecret)),
        null);
  }

  /** Every text a secret could be stored in, read with plain JDBC. */
  String rawRows() {
    StringBuilder out = new StringBuilder();
    try (Connection c = db.dataSource().getConnection();
        Statement s = c.createStatement()) {
      for (String query :
          List.of(
              "SELECT body FROM template_version",
              "SELECT body FROM job",
              "SELECT params, template_snapshot FROM run",
              "SELECT detail FROM audit_event")) {
        try (ResultSet rows = s.executeQuery(query)) {
          while (rows.next()) {
            for (int i = 1; i <= rows.getMetaData().getColumnCount(); i++) {
              out.append(rows.getString(i)).append('\n');
            }
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }

  void execute(String sql) {
    try (Connection c = db.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.executeUpdate(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  long storeAll() {
    new TemplateRepository(db.dsl()).create(template(), "alice", T0);
    new JobRepository(db.dsl())
        .create(
            new JobSpec(
                "nightly",
                "vault",
                Map.of("password", jobSecret, "user", "bob"),
                null,
                Concurrency.FORBID,
                Misfire.FIRE_ONCE,
                true,
                List.of(new Webhook("https://chat.example/job", List.of(), webhookSecret))),
            "alice",
            T0);
    return new RunRepository(db.dsl())
        .create(
            new NewRun(
                template(),
                1,
                null,
                Trigger.API,
                "alice",
                Map.of("password", runSecret, "user", "bob"),
                null),
            T0)
        .id();
  }

  @Test
  void secrets_are_encrypted_in_the_rows_and_read_back_in_clear() {
    long runId = storeAll();

    String raw = rawRows();
    assertThat(raw)
        .doesNotContain(webhookSecret)
        .doesNotContain(defaultSecret)
        .doesNotContain(jobSecret)
        .doesNotContain(runSecret)
        .contains(SecretCipher.PREFIX + SecretCipher.keyId(key) + ":")
        .contains("bob");
    assertThat(new TemplateRepository(db.dsl()).find("vault").orElseThrow().template())
        .isEqualTo(template());
    assertThat(new JobRepository(db.dsl()).get("nightly").spec().params())
        .containsEntry("password", jobSecret)
        .containsEntry("user", "bob");
    assertThat(new JobRepository(db.dsl()).get("nightly").spec().webhooks().get(0).secret())
        .isEqualTo(webhookSecret);
    Run run = new RunRepository(db.dsl()).get(runId);
    assertThat(run.params()).containsEntry("password", runSecret).containsEntry("user", "bob");
    assertThat(run.template()).isEqualTo(template());
  }

  @Test
  void each_value_gets_its_own_nonce() {
    SecretCipher cipher = SecretCipher.of(key, List.of());
    assertThat(cipher.seal(runSecret)).isNotEqualTo(cipher.seal(runSecret));
    assertThat(cipher.open(cipher.seal(runSecret))).isEqualTo(runSecret);
  }

  @Test
  void rows_written_in_clear_before_encryption_still_read() {
    String body =
        io.nightshift.scheduler.template.TemplateJson.toJson(template())
            .encode()
            .replace("'", "''");
    execute(
        "INSERT INTO template (id, name, latest_version, created_at, updated_at)"
            + " VALUES (1, 'vault', 1, '2026-11-22 03:30:01', '2026-11-22 03:30:01')");
    execute(
        "INSERT INTO template_version (template_id, version, body, created_at, created_by)"
            + " VALUES (1, 1, '"
            + body
            + "', '2026-11-22 03:30:01', 'alice')");
    execute(
        "INSERT INTO run (id, template_name, template_version, template_snapshot, trigger_kind,"
            + " triggered_by, status, params, revision, created_at) VALUES (7, 'vault', 1, '"
            + body
            + "', 'api', 'alice', 'SUCCEEDED', '{\"password\":\""
            + runSecret
            + "\",\"user\":\"bob\"}', 1, '2026-11-22 03:30:01')");

    assertThat(new TemplateRepository(db.dsl()).find("vault").orElseThrow().template())
        .isEqualTo(template());
    assertThat(new RunRepository(db.dsl()).get(7).params()).containsEntry("password", runSecret);
  }

  @Test
  void secrets_stored_in_clear_before_encryption_are_encrypted_by_the_upgrade_pass() {
    rows_written_in_clear_before_encryption_still_read();
    execute(
        "INSERT INTO job (name, template_name, body, enabled, revision, created_at, updated_at)"
            + " VALUES ('nightly', 'vault', '{\"template\":\"vault\",\"params\":{\"password\":\""
            + jobSecret
            + "\",\"user\":\"bob\"},\"schedule\":null,\"concurrency\":\"forbid\","
            + "\"misfire\":\"fire_once\",\"notify\":[{\"url\":\"https://chat.example/job\","
            + "\"events\":[],\"secret\":\""
            + webhookSecret
            + "\"}]}', TRUE, 1, '2026-11-22 03:30:01', '2026-11-22 03:30:01')");
    assertThat(rawRows()).contains(jobSecret).contains(runSecret).contains(defaultSecret);

    SecretsRepository stored = new SecretsRepository(db.dsl());
    SecretCipher cipher = SecretCipher.of(key, List.of());
    assertThat(stored.sealClear(cipher)).isEqualTo(3);
    assertThat(stored.sealClear(cipher)).as("nothing left the second time").isZero();

    assertThat(rawRows())
        .doesNotContain(jobSecret)
        .doesNotContain(runSecret)
        .doesNotContain(defaultSecret)
        .doesNotContain(webhookSecret)
        .contains("bob");
    assertThat(new TemplateRepository(db.dsl()).find("vault").orElseThrow().template())
        .isEqualTo(template());
    assertThat(new RunRepository(db.dsl()).get(7).params()).containsEntry("password", runSecret);
    JobSpec job = new JobRepository(db.dsl()).get("nightly").spec();
    assertThat(job.params()).containsEntry("password", jobSecret).containsEntry("user", "bob");
    assertThat(job.webhooks().get(0).secret()).isEqualTo(webhookSecret);
  }

  /**
   * A template version an earlier version let through ({@code "steps": null}) and a job of it are
   * left as they are; the rows after them are still sealed (before, the pass stopped at that job,
   * at every start, leaving every later job and run in clear).
   */
  @Test
  void the_upgrade_pass_goes_past_a_stored_template_it_cannot_read() {
    rows_written_in_clear_before_encryption_still_read();
    execute(
        "INSERT INTO template (id, name, latest_version, created_at, updated_at)"
            + " VALUES (2, 'broken', 1, '2026-11-22 03:30:01', '2026-11-22 03:30:01')");
    execute(
        "INSERT INTO template_version (template_id, version, body, created_at, created_by)"
            + " VALUES (2, 1, '{\"name\":\"broken\",\"steps\":null}', '2026-11-22 03:30:01',"
            + " 'alice')");
    execute(
        "INSERT INTO job (id, name, template_name, body, enabled, revision, created_at, updated_at)"
            + " VALUES (1, 'broken-nightly', 'broken', '{\"template\":\"broken\",\"params\":{},"
            + "\"schedule\":null,\"concurrency\":\"forbid\",\"misfire\":\"fire_once\"}', TRUE,"
            + " 1, '2026-11-22 03:30:01', '2026-11-22 03:30:01')");
    execute(
        "INSERT INTO job (id, name, template_name, body, enabled, revision, created_at, updated_at)"
            + " VALUES (2, 'nightly', 'vault', '{\"template\":\"vault\",\"params\":{\"password\":\""
            + jobSecret
            + "\",\"user\":\"bob\"},\"schedule\":null,\"concurrency\":\"forbid\","
            + "\"misfire\":\"fire_once\"}', TRUE, 1, '2026-11-22 03:30:01', '2026-11-22 03:30:01')");

    SecretsRepository stored = new SecretsRepository(db.dsl());
    assertThat(stored.sealClear(SecretCipher.of(key, List.of()))).isEqualTo(3);

    assertThat(rawRows()).doesNotContain(jobSecret).doesNotContain(runSecret);
    assertThat(new JobRepository(db.dsl()).get("nightly").spec().params())
        .containsEntry("password", jobSecret);
  }

  @Test
  void a_key_that_is_not_configured_is_a_clear_error_naming_it_never_garbage() {
    long runId = storeAll();
    SecretCipher other = SecretCipher.of(key(), List.of());
    other.attach(db.dsl());

    assertThatThrownBy(() -> new RunRepository(db.dsl()).get(runId))
        .isInstanceOf(SecretKeyException.class)
        .hasMessageContaining("encrypted with key " + SecretCipher.keyId(key))
        .hasMessageContaining("secrets.oldKeys")
        .hasMessageNotContaining(runSecret);
    assertThatThrownBy(() -> new TemplateRepository(db.dsl()).find("vault"))
        .isInstanceOf(SecretKeyException.class);
    assertThat(new SecretsRepository(db.dsl()).keyIdsInUse(10))
        .containsExactly(SecretCipher.keyId(key));
  }

  @Test
  void a_damaged_value_is_refused_not_decrypted_to_garbage() {
    SecretCipher cipher = SecretCipher.of(key, List.of());
    String sealed = cipher.seal(runSecret);
    char last = sealed.charAt(sealed.length() - 5);
    String damaged =
        sealed.substring(0, sealed.length() - 5)
            + (last == 'A' ? 'B' : 'A')
            + sealed.substring(sealed.length() - 4);
    assertThatThrownBy(() -> cipher.open(damaged))
        .isInstanceOf(SecretKeyException.class)
        .hasMessageContaining("does not decrypt");
  }

  @Test
  void after_a_rotation_old_values_read_with_the_old_key_and_are_sealed_again_with_the_new() {
    long runId = storeAll();
    byte[] newKey = key();
    SecretCipher rotated = SecretCipher.of(newKey, List.of(key));
    rotated.attach(db.dsl());
    assertThat(new RunRepository(db.dsl()).get(runId).params())
        .containsEntry("password", runSecret);

    long sealedAgain = new SecretsRepository(db.dsl()).resealAll(rotated, 2);

    assertThat(sealedAgain).isGreaterThanOrEqualTo(6);
    assertThat(rawRows())
        .doesNotContain(SecretCipher.PREFIX + SecretCipher.keyId(key))
        .doesNotContain(runSecret);
    SecretCipher.of(newKey, List.of()).attach(db.dsl());
    assertThat(new RunRepository(db.dsl()).get(runId).params())
        .containsEntry("password", runSecret);
    assertThat(new JobRepository(db.dsl()).get("nightly").spec().params())
        .containsEntry("password", jobSecret);
    assertThat(new TemplateRepository(db.dsl()).find("vault").orElseThrow().template())
        .isEqualTo(template());
    assertThat(new SecretsRepository(db.dsl()).keyIdsInUse(10))
        .containsExactly(SecretCipher.keyId(newKey));
  }

  @Test
  void audit_records_of_a_job_hold_no_secret() {
    storeAll();
    assertThat(new AuditLog(db.dsl()).recent("job", "nightly", 10).get(0).detail().encode())
        .doesNotContain(jobSecret)
        .doesNotContain(webhookSecret)
        .contains("******")
        .contains("bob");
  }
}
