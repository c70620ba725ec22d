package io.nightshift.scheduler.run;

import static io.nightshift.sql.Tables.RUN_EVENT;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import org.jooq.DSLContext;

/**
 * The event outbox: run, step and approval events written in the transaction of the change they
 * announce, then claimed in order by a relay on any node ({@link EventRelay}).
 */
public final class RunEventRepository {
  private final DSLContext dsl;

  public RunEventRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** An event as stored; {@code id} is its idempotency key. */
  public record Stored(long id, long runId, JsonObject body) {}

  /** An event to write: the run it is about and its body. */
  public record New(long runId, JsonObject body) {}

  /** Writes an event in the caller's transaction (the one that makes the change). */
  public static void add(DSLContext tx, long runId, JsonObject body, Instant now) {
    addAll(tx, List.of(new New(runId, body)), now);
  }

  /** Writes events in the caller's transaction, in order, with one statement. */
  public static void addAll(DSLContext tx, List<New> events, Instant now) {
    var insert = tx.insertInto(RUN_EVENT, RUN_EVENT.RUN_ID, RUN_EVENT.BODY, RUN_EVENT.CREATED_AT);
    for (New event : events) {
      insert = insert.values(event.runId(), event.body().encode(), now);
    }
    insert.execute();
  }

  /** The oldest events no relay has claimed yet. */
  public List<Stored> unrelayed(int limit) {
    return dsl.select(RUN_EVENT.ID, RUN_EVENT.RUN_ID, RUN_EVENT.BODY)
        .from(RUN_EVENT)
        .where(RUN_EVENT.RELAYED_AT.isNull())
        .orderBy(RUN_EVENT.ID)
        .limit(limit)
        .fetch(
            r ->
                new Stored(
                    r.get(RUN_EVENT.ID),
                    r.get(RUN_EVENT.RUN_ID),
                    new JsonObject(r.get(RUN_EVENT.BODY)).put("eventId", r.get(RUN_EVENT.ID))));
  }

  /**
   * Claims these events for one relay pass ({@code by}, unique per pass) in the caller's
   * transaction; returns the ids it won (another node may have claimed some first).
   */
  public static List<Long> claim(DSLContext tx, Collection<Long> ids, String by, Instant now) {
    int claimed =
        tx.update(RUN_EVENT)
            .set(RUN_EVENT.RELAYED_AT, now)
            .set(RUN_EVENT.RELAYED_BY, by)
            .where(RUN_EVENT.ID.in(ids))
            .and(RUN_EVENT.RELAYED_AT.isNull())
            .execute();
    List<Long> asked = ids.stream().distinct().sorted().toList();
    if (claimed == asked.size()) {
      // Every row still unclaimed was updated (the count is of rows that matched under their
      // locks): all won, nothing to read back. Fewer: another node took some, read which.
      return asked;
    }
    return tx.select(RUN_EVENT.ID)
        .from(RUN_EVENT)
        .where(RUN_EVENT.ID.in(ids))
        .and(RUN_EVENT.RELAYED_BY.eq(by))
        .orderBy(RUN_EVENT.ID)
        .fetch(RUN_EVENT.ID);
  }

  /** Deletes relayed events older than {@code before} (at most {@code limit}); how many went. */
  public int purgeRelayedBefore(Instant before, int limit) {
    List<Long> old =
        dsl.select(RUN_EVENT.ID)
            .from(RUN_EVENT)
            .where(RUN_EVENT.RELAYED_AT.lt(before))
            .orderBy(RUN_EVENT.RELAYED_AT)
            .limit(limit)
            .fetch(RUN_EVENT.ID);
    return old.isEmpty() ? 0 : dsl.deleteFrom(RUN_EVENT).where(RUN_EVENT.ID.in(old)).execute();
  }

  /** Events not relayed yet, for /metrics and tests. */
  public int backlog() {
    return dsl.fetchCount(RUN_EVENT, RUN_EVENT.RELAYED_AT.isNull());
  }
}
