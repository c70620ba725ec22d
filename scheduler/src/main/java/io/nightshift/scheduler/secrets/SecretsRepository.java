package io.nightshift.scheduler.secrets;

import static io.nightshift.sql.Tables.JOB;
import static io.nightshift.sql.Tables.RUN;
import static io.nightshift.sql.Tables.TEMPLATE;
import static io.nightshift.sql.Tables.TEMPLATE_VERSION;

import io.nightshift.scheduler.error.NightshiftException;
import io.nightshift.scheduler.template.StoredTemplate;
import io.nightshift.scheduler.template.Template;
import io.nightshift.scheduler.template.TemplateRepository;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record2;
import org.jooq.Table;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stored columns that hold sealed secrets (template versions, jobs, runs' parameters and
 * template snapshots): which keys sealed them, and sealing them again with the current key after a
 * rotation.
 */
public final class SecretsRepository {
  private static final Logger log = LoggerFactory.getLogger(SecretsRepository.class);
  private static final Pattern TOKEN = Pattern.compile("nsenc:v1:([0-9a-f]{8}):[A-Za-z0-9_-]+");
  private static final String LIKE = "%" + SecretCipher.PREFIX + "%";

  private final DSLContext dsl;

  public SecretsRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /**
   * The key ids of the secrets a node needs at once: every template's latest version, every job,
   * and the runs not over plus the {@code recentRuns} newest.
   */
  public Set<String> keyIdsInUse(int recentRuns) {
    Set<String> ids = new TreeSet<>();
    dsl.select(TEMPLATE_VERSION.BODY)
        .from(TEMPLATE_VERSION)
        .join(TEMPLATE)
        .on(TEMPLATE.ID.eq(TEMPLATE_VERSION.TEMPLATE_ID))
        .and(TEMPLATE.LATEST_VERSION.eq(TEMPLATE_VERSION.VERSION))
        .fetch(TEMPLATE_VERSION.BODY)
        .forEach(text -> collect(text, ids));
    dsl.select(JOB.BODY).from(JOB).fetch(JOB.BODY).forEach(text -> collect(text, ids));
    dsl.select(RUN.PARAMS, RUN.TEMPLATE_SNAPSHOT)
        .from(RUN)
        .where(RUN.FINISHED_AT.isNull())
        .unionAll(
            dsl.select(RUN.PARAMS, RUN.TEMPLATE_SNAPSHOT)
                .from(RUN)
                .orderBy(RUN.ID.desc())
                .limit(recentRuns))
        .fetch()
        .forEach(
            r -> {
              collect(r.value1(), ids);
              collect(r.value2(), ids);
            });
    return ids;
  }

  private static void collect(String text, Set<String> ids) {
    if (text == null || !text.contains(SecretCipher.PREFIX)) {
      return;
    }
    Matcher m = TOKEN.matcher(text);
    while (m.find()) {
      ids.add(m.group(1));
    }
  }

  /**
   * Seals every stored secret not sealed with the current key again with it, in batches of {@code
   * batch} rows, one transaction per batch. Returns how many values were sealed again.
   */
  public long resealAll(SecretCipher cipher, int batch) {
    long total = 0;
    total += reseal(cipher, TEMPLATE_VERSION, versionKey(), TEMPLATE_VERSION.BODY, batch);
    total += reseal(cipher, JOB, JOB.ID, JOB.BODY, batch);
    total += reseal(cipher, RUN, RUN.ID, RUN.PARAMS, batch);
    total += reseal(cipher, RUN, RUN.ID, RUN.TEMPLATE_SNAPSHOT, batch);
    return total;
  }

  /**
   * Encrypts the secrets stored in clear before encryption existed: in every template version and
   * job, and in the runs not over (finished runs keep theirs). One transaction per row, the row
   * locked, so a concurrent change is not lost. Returns how many rows were sealed.
   */
  public long sealClear(SecretCipher cipher) {
    long rows = 0;
    for (Record2<Long, Integer> v :
        dsl.select(TEMPLATE_VERSION.TEMPLATE_ID, TEMPLATE_VERSION.VERSION)
            .from(TEMPLATE_VERSION)
            .fetch()) {
      rows +=
          sealed(
              "template version " + v.value1() + "/" + v.value2(),
              () -> sealTemplateVersion(cipher, v.value1(), v.value2()));
    }
    for (Long job : dsl.select(JOB.ID).from(JOB).fetch(JOB.ID)) {
      rows += sealed("job " + job, () -> sealJob(cipher, job));
    }
    for (Long run : dsl.select(RUN.ID).from(RUN).where(RUN.FINISHED_AT.isNull()).fetch(RUN.ID)) {
      rows += sealed("run " + run, () -> sealRun(cipher, run));
    }
    return rows;
  }

  /**
   * 1 if {@code seal} sealed its row. A row whose stored definition this version cannot read (a
   * template an earlier version let through, a job using it) is left as it is and logged: it must
   * not keep the rows after it in clear.
   */
  private static int sealed(String row, java.util.function.BooleanSupplier seal) {
    try {
      return seal.getAsBoolean() ? 1 : 0;
    } catch (NightshiftException unreadable) {
      log.warn("secrets: {} left as stored: {}", row, unreadable.getMessage());
      return 0;
    }
  }

  private boolean sealTemplateVersion(SecretCipher cipher, long templateId, int version) {
    return dsl.transactionResult(
        cfg -> {
          var row =
              cfg.dsl()
                  .select(TEMPLATE.NAME, TEMPLATE_VERSION.BODY)
                  .from(TEMPLATE_VERSION)
                  .join(TEMPLATE)
                  .on(TEMPLATE.ID.eq(TEMPLATE_VERSION.TEMPLATE_ID))
                  .where(TEMPLATE_VERSION.TEMPLATE_ID.eq(templateId))
                  .and(TEMPLATE_VERSION.VERSION.eq(version))
                  .forUpdate()
                  .fetchOne();
          if (row == null || !StoredSecrets.clearInTemplate(new JsonObject(row.value2()))) {
            return false;
          }
          Template template = StoredSecrets.template(cipher, row.value2(), row.value1());
          return cfg.dsl()
                  .update(TEMPLATE_VERSION)
                  .set(TEMPLATE_VERSION.BODY, StoredSecrets.template(cipher, template))
                  .where(TEMPLATE_VERSION.TEMPLATE_ID.eq(templateId))
                  .and(TEMPLATE_VERSION.VERSION.eq(version))
                  .execute()
              == 1;
        });
  }

  private boolean sealJob(SecretCipher cipher, long jobId) {
    return dsl.transactionResult(
        cfg -> {
          var row =
              cfg.dsl()
                  .select(JOB.TEMPLATE_NAME, JOB.BODY)
                  .from(JOB)
                  .where(JOB.ID.eq(jobId))
                  .forUpdate()
                  .fetchOne();
          if (row == null) {
            return false;
          }
          Template template =
              new TemplateRepository(cfg.dsl())
                  .find(row.value1())
                  .map(StoredTemplate::template)
                  .orElse(null);
          JsonObject body = StoredSecrets.open(cipher, row.value2());
          if (!StoredSecrets.clearInJob(new JsonObject(row.value2()), template)) {
            return false;
          }
          return cfg.dsl()
                  .update(JOB)
                  .set(JOB.BODY, StoredSecrets.job(cipher, body, template).encode())
                  .where(JOB.ID.eq(jobId))
                  .execute()
              == 1;
        });
  }

  private boolean sealRun(SecretCipher cipher, long runId) {
    return dsl.transactionResult(
        cfg -> {
          var row =
              cfg.dsl()
                  .select(RUN.TEMPLATE_NAME, RUN.TEMPLATE_SNAPSHOT, RUN.PARAMS)
                  .from(RUN)
                  .where(RUN.ID.eq(runId))
                  .forUpdate()
                  .fetchOne();
          if (row == null) {
            return false;
          }
          Template template = StoredSecrets.template(cipher, row.value2(), row.value1());
          boolean snapshot = StoredSecrets.clearInTemplate(new JsonObject(row.value2()));
          boolean params = StoredSecrets.clearInParams(new JsonObject(row.value3()), template);
          if (!snapshot && !params) {
            return false;
          }
          return cfg.dsl()
                  .update(RUN)
                  .set(RUN.TEMPLATE_SNAPSHOT, StoredSecrets.template(cipher, template))
                  .set(
                      RUN.PARAMS,
                      StoredSecrets.params(
                              cipher, template, StoredSecrets.params(cipher, row.value3()))
                          .encode())
                  .where(RUN.ID.eq(runId))
                  .execute()
              == 1;
        });
  }

  /** Template versions have a two-column key: one number orders and pages them. */
  private static Field<Long> versionKey() {
    return TEMPLATE_VERSION.TEMPLATE_ID.mul(100_000L).plus(TEMPLATE_VERSION.VERSION);
  }

  private long reseal(
      SecretCipher cipher, Table<?> table, Field<Long> key, Field<String> column, int batch) {
    String current = SecretCipher.PREFIX + cipher.currentKeyId() + ":";
    long after = Long.MIN_VALUE;
    long total = 0;
    while (true) {
      List<Long> keys =
          dsl.select(key)
              .from(table)
              .where(key.gt(after))
              .and(column.like(LIKE))
              .orderBy(key)
              .limit(batch)
              .fetch(key);
      if (keys.isEmpty()) {
        return total;
      }
      total +=
          dsl.transactionResult(
              cfg -> {
                long sealed = 0;
                // Locked while rewritten: a concurrent change of the row waits for this one.
                for (Record2<Long, String> row :
                    cfg.dsl().select(key, column).from(table).where(key.in(keys)).forUpdate()) {
                  StringBuilder out = new StringBuilder(row.value2().length());
                  Matcher m = TOKEN.matcher(row.value2());
                  long here = 0;
                  while (m.find()) {
                    String token = m.group();
                    if (!token.startsWith(current)) {
                      token = cipher.seal(cipher.open(token));
                      here++;
                    }
                    m.appendReplacement(out, Matcher.quoteReplacement(token));
                  }
                  m.appendTail(out);
                  if (here > 0) {
                    cfg.dsl()
                        .update(table)
                        .set(column, out.toString())
                        .where(key.eq(row.value1()))
                        .execute();
                    sealed += here;
                  }
                }
                return sealed;
              });
      after = keys.get(keys.size() - 1);
    }
  }
}
