package io.nightshift.scheduler.notify;

import static io.nightshift.sql.Tables.WEBHOOK_OUTBOX;

import io.nightshift.sql.tables.WebhookOutbox;
import java.time.Instant;
import java.util.List;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * Webhook deliveries to make: written when their event is claimed, claimed by one node at a time (a
 * lease, so a crashed sender's delivery is taken over), retried from a stored time, and sent in
 * event order per run and webhook.
 */
public final class WebhookOutboxRepository {
  private final DSLContext dsl;

  public WebhookOutboxRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** A delivery to make; {@code hook} names the webhook ({@code template:0}, {@code job:1}). */
  public record Pending(
      long id,
      long runId,
      String hook,
      String url,
      String event,
      String body,
      String deliveryId,
      int attempts) {}

  /** Adds a delivery in the caller's transaction (the one that claims its event). */
  public static void add(
      DSLContext tx,
      long eventId,
      long runId,
      String hook,
      String url,
      String event,
      String body,
      String deliveryId,
      Instant now) {
    tx.insertInto(WEBHOOK_OUTBOX)
        .set(WEBHOOK_OUTBOX.EVENT_ID, eventId)
        .set(WEBHOOK_OUTBOX.RUN_ID, runId)
        .set(WEBHOOK_OUTBOX.HOOK, hook)
        .set(WEBHOOK_OUTBOX.URL, url)
        .set(WEBHOOK_OUTBOX.EVENT, event)
        .set(WEBHOOK_OUTBOX.BODY, body)
        .set(WEBHOOK_OUTBOX.DELIVERY_ID, deliveryId)
        .set(WEBHOOK_OUTBOX.ATTEMPTS, 0)
        .set(WEBHOOK_OUTBOX.NEXT_AT, now)
        .set(WEBHOOK_OUTBOX.CREATED_AT, now)
        .execute();
  }

  /**
   * Deliveries due at {@code now} that nobody holds, each the oldest undelivered one of its run and
   * webhook (a later event never overtakes an earlier one that is being retried).
   */
  public List<Pending> due(Instant now, int limit) {
    WebhookOutbox earlier = WEBHOOK_OUTBOX.as("earlier");
    return dsl.selectFrom(WEBHOOK_OUTBOX)
        .where(WEBHOOK_OUTBOX.DONE_AT.isNull())
        .and(WEBHOOK_OUTBOX.NEXT_AT.le(now))
        .and(WEBHOOK_OUTBOX.CLAIMED_UNTIL.isNull().or(WEBHOOK_OUTBOX.CLAIMED_UNTIL.lt(now)))
        .andNotExists(
            DSL.selectOne()
                .from(earlier)
                .where(earlier.RUN_ID.eq(WEBHOOK_OUTBOX.RUN_ID))
                .and(earlier.HOOK.eq(WEBHOOK_OUTBOX.HOOK))
                // Events in order; two of one stored change (run.failed, then run.rolling_back)
                // in the order they were written.
                .and(
                    earlier
                        .EVENT_ID
                        .lt(WEBHOOK_OUTBOX.EVENT_ID)
                        .or(
                            earlier
                                .EVENT_ID
                                .eq(WEBHOOK_OUTBOX.EVENT_ID)
                                .and(earlier.ID.lt(WEBHOOK_OUTBOX.ID))))
                .and(earlier.DONE_AT.isNull()))
        .orderBy(WEBHOOK_OUTBOX.ID)
        .limit(limit)
        .fetch(
            r ->
                new Pending(
                    r.getId(),
                    r.getRunId(),
                    r.getHook(),
                    r.getUrl(),
                    r.getEvent(),
                    r.getBody(),
                    r.getDeliveryId(),
                    r.getAttempts()));
  }

  /** Takes a due delivery for {@code owner} until {@code until}; false when another node has it. */
  public boolean claim(long id, String owner, Instant now, Instant until) {
    // The try counts from its claim: one whose node died before it could say how it went may have
    // reached the receiver, so the next one is sent as the try after it (X-Nightshift-Attempt).
    return dsl.update(WEBHOOK_OUTBOX)
            .set(WEBHOOK_OUTBOX.CLAIMED_BY, owner)
            .set(WEBHOOK_OUTBOX.CLAIMED_UNTIL, until)
            .set(WEBHOOK_OUTBOX.ATTEMPTS, WEBHOOK_OUTBOX.ATTEMPTS.plus(1))
            .where(WEBHOOK_OUTBOX.ID.eq(id))
            .and(WEBHOOK_OUTBOX.DONE_AT.isNull())
            .and(WEBHOOK_OUTBOX.CLAIMED_UNTIL.isNull().or(WEBHOOK_OUTBOX.CLAIMED_UNTIL.lt(now)))
            .execute()
        == 1;
  }

  /** The delivery is over ({@code delivered} or {@code gave-up}) after {@code attempts}. */
  public void done(long id, String owner, int attempts, String outcome, Instant now) {
    dsl.update(WEBHOOK_OUTBOX)
        .set(WEBHOOK_OUTBOX.ATTEMPTS, attempts)
        .set(WEBHOOK_OUTBOX.DONE_AT, now)
        .set(WEBHOOK_OUTBOX.OUTCOME, outcome)
        .set(WEBHOOK_OUTBOX.CLAIMED_UNTIL, (Instant) null)
        .where(WEBHOOK_OUTBOX.ID.eq(id))
        .and(WEBHOOK_OUTBOX.CLAIMED_BY.eq(owner))
        .execute();
  }

  /** The attempt failed: the delivery is due again at {@code next}, for any node. */
  public void retryAt(long id, String owner, int attempts, Instant next) {
    dsl.update(WEBHOOK_OUTBOX)
        .set(WEBHOOK_OUTBOX.ATTEMPTS, attempts)
        .set(WEBHOOK_OUTBOX.NEXT_AT, next)
        .set(WEBHOOK_OUTBOX.CLAIMED_UNTIL, (Instant) null)
        .where(WEBHOOK_OUTBOX.ID.eq(id))
        .and(WEBHOOK_OUTBOX.CLAIMED_BY.eq(owner))
        .execute();
  }

  /** Deletes finished deliveries older than {@code before}. */
  public int purgeDoneBefore(Instant before) {
    return dsl.deleteFrom(WEBHOOK_OUTBOX).where(WEBHOOK_OUTBOX.DONE_AT.lt(before)).execute();
  }
}
