package io.nightshift.scheduler.audit;

import static io.nightshift.sql.Tables.AUDIT_EVENT;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import org.jooq.DSLContext;

/** The audit table. Writers pass their transaction so a change and its record commit together. */
public final class AuditLog {
  private final DSLContext dsl;

  public AuditLog(DSLContext dsl) {
    this.dsl = dsl;
  }

  public static void write(
      DSLContext tx,
      Instant at,
      String actor,
      String action,
      String targetKind,
      String target,
      JsonObject detail) {
    writeAll(tx, List.of(new Entry(at, actor, action, targetKind, target, detail)));
  }

  /** An audit record to write. */
  public record Entry(
      Instant at,
      String actor,
      String action,
      String targetKind,
      String target,
      JsonObject detail) {}

  /** Writes audit records in the caller's transaction with one statement. */
  public static void writeAll(DSLContext tx, List<Entry> entries) {
    var insert =
        tx.insertInto(
            AUDIT_EVENT,
            AUDIT_EVENT.AT,
            AUDIT_EVENT.ACTOR,
            AUDIT_EVENT.ACTION,
            AUDIT_EVENT.TARGET_KIND,
            AUDIT_EVENT.TARGET,
            AUDIT_EVENT.DETAIL);
    for (Entry e : entries) {
      insert =
          insert.values(
              e.at(),
              e.actor(),
              e.action(),
              e.targetKind(),
              e.target(),
              e.detail() == null ? null : e.detail().encode());
    }
    insert.execute();
  }

  /** Newest first; {@code targetKind} and {@code target} filter when not null. */
  public List<AuditEvent> recent(String targetKind, String target, int limit) {
    return recent(targetKind, target, List.of(), limit);
  }

  /** Newest first; {@code actions} (empty: any) keeps the events of these actions only. */
  public List<AuditEvent> recent(
      String targetKind, String target, java.util.Collection<String> actions, int limit) {
    return page(targetKind, target, actions, null, limit).items();
  }

  /**
   * A page of {@link #recent}, older than record {@code before} (null: from the newest); its next
   * cursor is the last record's id, read by the primary key however deep it goes.
   */
  public io.nightshift.scheduler.store.Page<AuditEvent> page(
      String targetKind,
      String target,
      java.util.Collection<String> actions,
      Long before,
      int limit) {
    var condition = org.jooq.impl.DSL.noCondition();
    if (before != null) {
      condition = condition.and(AUDIT_EVENT.ID.lt(before));
    }
    if (!actions.isEmpty()) {
      condition = condition.and(AUDIT_EVENT.ACTION.in(actions));
    }
    if (targetKind != null) {
      condition = condition.and(AUDIT_EVENT.TARGET_KIND.eq(targetKind));
    }
    if (target != null) {
      condition = condition.and(AUDIT_EVENT.TARGET.eq(target));
    }
    List<AuditEvent> rows =
        dsl.selectFrom(AUDIT_EVENT)
            .where(condition)
            .orderBy(AUDIT_EVENT.ID.desc())
            .limit(limit + 1)
            .fetch(
                r ->
                    new AuditEvent(
                        r.getId(),
                        r.getAt(),
                        r.getActor(),
                        r.getAction(),
                        r.getTargetKind(),
                        r.getTarget(),
                        r.getDetail() == null ? null : new JsonObject(r.getDetail())));
    return io.nightshift.scheduler.store.Page.of(rows, limit, e -> String.valueOf(e.id()));
  }
}
