package io.nightshift.scheduler.template;

import static io.nightshift.sql.Tables.JOB;
import static io.nightshift.sql.Tables.TEMPLATE;
import static io.nightshift.sql.Tables.TEMPLATE_VERSION;

import io.nightshift.scheduler.audit.AuditLog;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.error.StoredInvalid;
import io.nightshift.scheduler.secrets.SecretCipher;
import io.nightshift.scheduler.secrets.StoredSecrets;
import io.nightshift.scheduler.store.Page;
import io.nightshift.scheduler.store.Sql;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jooq.DSLContext;
import org.jooq.Record;
import org.jooq.exception.DataAccessException;

/** Templates and their versions. Every change writes an audit record in the same transaction. */
public final class TemplateRepository {
  /** The audit action recorded when a new version weakens an approval step. */
  public static final String WEAKENED = "template.approval_weakened";

  private final DSLContext dsl;

  /**
   * Parsed versions by "templateId/version", each with the stored body it was parsed from and used
   * only while the row still holds that very body: an update adds a version and a template created
   * again gets a new id, but sealing secrets again (another key) rewrites a body, which must then
   * be opened again (and fail, on a node that lacks the key). Starting a run reads its template's
   * latest version; comparing the text costs far less than parsing it.
   */
  private final Map<String, Parsed> parsed;

  private record Parsed(String body, Template template) {}

  public TemplateRepository(DSLContext dsl) {
    this(dsl, parsedCache());
  }

  private TemplateRepository(DSLContext dsl, Map<String, Parsed> parsed) {
    this.dsl = dsl;
    this.parsed = parsed;
  }

  /** This repository reading and writing through {@code tx} (a transaction the caller runs). */
  public TemplateRepository in(DSLContext tx) {
    return new TemplateRepository(tx, parsed);
  }

  private static Map<String, Parsed> parsedCache() {
    return java.util.Collections.synchronizedMap(
        new java.util.LinkedHashMap<>(64, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Parsed> eldest) {
            return size() > 512;
          }
        });
  }

  public StoredTemplate create(Template template, String actor, Instant now) {
    try {
      return dsl.transactionResult(
          cfg -> {
            DSLContext tx = cfg.dsl();
            long id =
                tx.insertInto(TEMPLATE)
                    .set(TEMPLATE.NAME, template.name())
                    .set(TEMPLATE.LATEST_VERSION, 1)
                    .set(TEMPLATE.CREATED_AT, now)
                    .set(TEMPLATE.UPDATED_AT, now)
                    .returning(TEMPLATE.ID)
                    .fetchOne()
                    .getId();
            insertVersion(tx, id, 1, template, actor, now);
            AuditLog.write(
                tx, now, actor, "template.create", "template", template.name(), version(1));
            return new StoredTemplate(template, 1, now, now, actor);
          });
    } catch (DataAccessException e) {
      if (Sql.isDuplicateKey(e)) {
        throw new Conflict("template '" + template.name() + "' already exists");
      }
      throw e;
    }
  }

  /** Stores {@code template} as the next version; runs already started keep their snapshot. */
  public StoredTemplate update(Template template, String actor, Instant now) {
    return dsl.transactionResult(
        cfg -> {
          DSLContext tx = cfg.dsl();
          var row =
              tx.selectFrom(TEMPLATE)
                  .where(TEMPLATE.NAME.eq(template.name()))
                  .forUpdate()
                  .fetchOptional()
                  .orElseThrow(() -> new NotFound("template", template.name()));
          int version = row.getLatestVersion() + 1;
          TemplateRepository inTx = in(tx);
          StoredTemplate previous =
              inTx.version(template.name(), row.getLatestVersion()).fetchOne(inTx::lenient);
          List<String> weakened =
              previous.readable()
                  ? ApprovalWeakening.between(previous.template(), template)
                  : unreadableBefore(previous, template);
          insertVersion(tx, row.getId(), version, template, actor, now);
          if (!weakened.isEmpty()) {
            AuditLog.write(
                tx,
                now,
                actor,
                WEAKENED,
                "template",
                template.name(),
                version(version).put("changes", new io.vertx.core.json.JsonArray(weakened)));
          }
          tx.update(TEMPLATE)
              .set(TEMPLATE.LATEST_VERSION, version)
              .set(TEMPLATE.UPDATED_AT, now)
              .where(TEMPLATE.ID.eq(row.getId()))
              .execute();
          AuditLog.write(
              tx, now, actor, "template.update", "template", template.name(), version(version));
          return new StoredTemplate(template, version, row.getCreatedAt(), now, actor);
        });
  }

  private static void insertVersion(
      DSLContext tx, long templateId, int version, Template template, String actor, Instant now) {
    tx.insertInto(TEMPLATE_VERSION)
        .set(TEMPLATE_VERSION.TEMPLATE_ID, templateId)
        .set(TEMPLATE_VERSION.VERSION, version)
        .set(TEMPLATE_VERSION.BODY, StoredSecrets.template(SecretCipher.of(tx), template))
        .set(TEMPLATE_VERSION.CREATED_AT, now)
        .set(TEMPLATE_VERSION.CREATED_BY, actor)
        .execute();
  }

  /** The latest version. */
  public Optional<StoredTemplate> find(String name) {
    return version(name, null).fetchOptional(this::map);
  }

  public Optional<StoredTemplate> find(String name, int version) {
    return version(name, version).fetchOptional(this::map);
  }

  /**
   * The latest version (or {@code version}, when not null) to show or to replace: one this node
   * cannot read comes back with its problem instead of failing, so that it can be seen and
   * corrected.
   */
  public Optional<StoredTemplate> shown(String name, Integer version) {
    return version(name, version).fetchOptional(this::lenient);
  }

  /** The row of template {@code name}'s {@code version}, or of its latest when null. */
  private org.jooq.ResultQuery<Record> version(String name, Integer version) {
    return select()
        .where(TEMPLATE.NAME.eq(name))
        .and(
            version == null
                ? TEMPLATE_VERSION.VERSION.eq(TEMPLATE.LATEST_VERSION)
                : TEMPLATE_VERSION.VERSION.eq(version));
  }

  /**
   * Latest versions by name, alphabetically, after the cursor (a name). A version this node cannot
   * read is listed with its problem ({@link StoredTemplate#problem}), not failing the page.
   */
  public Page<StoredTemplate> list(String after, int limit) {
    var query = select().where(TEMPLATE_VERSION.VERSION.eq(TEMPLATE.LATEST_VERSION));
    if (after != null) {
      query = query.and(TEMPLATE.NAME.gt(after));
    }
    List<StoredTemplate> rows = query.orderBy(TEMPLATE.NAME).limit(limit + 1).fetch(this::lenient);
    return Page.of(rows, limit, StoredTemplate::name);
  }

  /** Deletes every version; refused while a job uses the template. */
  public void delete(String name, String actor, Instant now) {
    dsl.transaction(
        cfg -> {
          DSLContext tx = cfg.dsl();
          var row =
              tx.selectFrom(TEMPLATE)
                  .where(TEMPLATE.NAME.eq(name))
                  .forUpdate()
                  .fetchOptional()
                  .orElseThrow(() -> new NotFound("template", name));
          List<String> jobs =
              tx.select(JOB.NAME)
                  .from(JOB)
                  .where(JOB.TEMPLATE_NAME.eq(name))
                  .orderBy(JOB.NAME)
                  .limit(10)
                  .fetch(JOB.NAME);
          if (!jobs.isEmpty()) {
            throw new Conflict(
                "template '"
                    + name
                    + "' is used by job(s) "
                    + jobs
                    + "; delete or change them first");
          }
          tx.deleteFrom(TEMPLATE_VERSION)
              .where(TEMPLATE_VERSION.TEMPLATE_ID.eq(row.getId()))
              .execute();
          tx.deleteFrom(TEMPLATE).where(TEMPLATE.ID.eq(row.getId())).execute();
          AuditLog.write(
              tx, now, actor, "template.delete", "template", name, version(row.getLatestVersion()));
        });
  }

  private org.jooq.SelectOnConditionStep<Record> select() {
    return dsl.select(TEMPLATE.asterisk(), TEMPLATE_VERSION.asterisk())
        .from(TEMPLATE)
        .join(TEMPLATE_VERSION)
        .on(TEMPLATE_VERSION.TEMPLATE_ID.eq(TEMPLATE.ID));
  }

  /**
   * The version in {@code r}, parsed (once per stored body). A body this node cannot read fails
   * with {@link StoredInvalid} (409), which names the version and what to do: a run or job cannot
   * use it, while {@link #list} and {@link #shown} still show it.
   */
  private StoredTemplate map(Record r) {
    String key = r.get(TEMPLATE.ID) + "/" + r.get(TEMPLATE_VERSION.VERSION);
    String body = r.get(TEMPLATE_VERSION.BODY);
    Parsed known = parsed.get(key);
    Template template;
    if (known != null && known.body().equals(body)) {
      template = known.template();
    } else {
      String name = r.get(TEMPLATE.NAME);
      try {
        template = StoredSecrets.template(SecretCipher.of(dsl), body, name);
      } catch (Invalid invalid) {
        throw new StoredInvalid(
            "template '"
                + name
                + "' version "
                + r.get(TEMPLATE_VERSION.VERSION)
                + " as stored is not valid: "
                + invalid.everyProblem()
                + "; save a corrected version (PUT /api/v1/templates/"
                + name
                + ")");
      }
      parsed.put(key, new Parsed(body, template));
    }
    return new StoredTemplate(
        template,
        r.get(TEMPLATE_VERSION.VERSION),
        r.get(TEMPLATE.CREATED_AT),
        r.get(TEMPLATE_VERSION.CREATED_AT),
        r.get(TEMPLATE_VERSION.CREATED_BY));
  }

  /** Like {@link #map}, but a version this node cannot read is returned with its problem. */
  private StoredTemplate lenient(Record r) {
    try {
      return map(r);
    } catch (StoredInvalid unreadable) {
      return new StoredTemplate(
          r.get(TEMPLATE.NAME),
          null,
          r.get(TEMPLATE_VERSION.VERSION),
          r.get(TEMPLATE.CREATED_AT),
          r.get(TEMPLATE_VERSION.CREATED_AT),
          r.get(TEMPLATE_VERSION.CREATED_BY),
          unreadable.getMessage());
    }
  }

  /**
   * What a new version changes of the approvals when the version before it cannot be read: nothing
   * can be compared, so a version with approval steps counts as weakening them (its author is then
   * treated as a requester of its runs, as for any weakening).
   */
  private static List<String> unreadableBefore(StoredTemplate previous, Template template) {
    boolean approvals =
        template.steps().stream().anyMatch(step -> step.kind() == StepKind.APPROVAL);
    return approvals
        ? List.of(
            "version "
                + previous.version()
                + " could not be read, so the approvals of this version count as changed")
        : List.of();
  }

  private static JsonObject version(int version) {
    return new JsonObject().put("version", version);
  }
}
