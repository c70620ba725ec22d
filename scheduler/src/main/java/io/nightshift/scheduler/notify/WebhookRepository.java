package io.nightshift.scheduler.notify;

import static io.nightshift.sql.Tables.WEBHOOK_DELIVERY;

import io.nightshift.scheduler.store.Page;
import io.nightshift.sql.tables.records.WebhookDeliveryRecord;
import java.time.Instant;
import java.util.List;
import org.jooq.DSLContext;

/**
 * The record of webhook delivery attempts, shown on the run (or, for a job's fire events, which
 * belong to no run, on the job).
 */
public final class WebhookRepository {
  private final DSLContext dsl;

  public WebhookRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  /**
   * One delivery attempt of run {@code runId}'s event, or, for a job's fire event ({@code runId}
   * {@link io.nightshift.scheduler.run.RunEvents#NO_RUN}), of job {@code jobId}'s (else null).
   */
  public void record(
      long runId,
      Long jobId,
      String event,
      String url,
      int attempt,
      Integer statusCode,
      String error,
      Instant at) {
    dsl.insertInto(WEBHOOK_DELIVERY)
        .set(WEBHOOK_DELIVERY.RUN_ID, runId)
        .set(WEBHOOK_DELIVERY.JOB_ID, jobId)
        .set(WEBHOOK_DELIVERY.EVENT, event)
        .set(WEBHOOK_DELIVERY.URL, url.length() <= 2048 ? url : url.substring(0, 2048))
        .set(WEBHOOK_DELIVERY.ATTEMPT, attempt)
        .set(WEBHOOK_DELIVERY.STATUS_CODE, statusCode)
        .set(
            WEBHOOK_DELIVERY.ERROR,
            error == null || error.length() <= 1000 ? error : error.substring(0, 1000))
        .set(WEBHOOK_DELIVERY.DELIVERED_AT, at)
        .execute();
  }

  public List<WebhookDelivery> forRun(long runId) {
    return dsl.selectFrom(WEBHOOK_DELIVERY)
        .where(WEBHOOK_DELIVERY.RUN_ID.eq(runId))
        .orderBy(WEBHOOK_DELIVERY.ID)
        .fetch(WebhookRepository::map);
  }

  /** Attempts of the job's fire-event deliveries, newest first; {@code before}: an id cursor. */
  public Page<WebhookDelivery> forJob(long jobId, Long before, int limit) {
    var where = WEBHOOK_DELIVERY.JOB_ID.eq(jobId);
    if (before != null) {
      where = where.and(WEBHOOK_DELIVERY.ID.lt(before));
    }
    List<WebhookDelivery> rows =
        dsl.selectFrom(WEBHOOK_DELIVERY)
            .where(where)
            .orderBy(WEBHOOK_DELIVERY.ID.desc())
            .limit(limit + 1)
            .fetch(WebhookRepository::map);
    return Page.of(rows, limit, d -> String.valueOf(d.id()));
  }

  private static WebhookDelivery map(WebhookDeliveryRecord r) {
    return new WebhookDelivery(
        r.getId(),
        r.getRunId(),
        r.getEvent(),
        r.getUrl(),
        r.getAttempt(),
        r.getStatusCode(),
        r.getError(),
        r.getDeliveredAt());
  }
}
