package io.nightshift.scheduler.notify;

import static io.nightshift.sql.Tables.WEBHOOK_DELIVERY;

import java.time.Instant;
import java.util.List;
import org.jooq.DSLContext;

/** The record of webhook delivery attempts, shown on the run. */
public final class WebhookRepository {
  private final DSLContext dsl;

  public WebhookRepository(DSLContext dsl) {
    this.dsl = dsl;
  }

  public void record(
      long runId,
      String event,
      String url,
      int attempt,
      Integer statusCode,
      String error,
      Instant at) {
    dsl.insertInto(WEBHOOK_DELIVERY)
        .set(WEBHOOK_DELIVERY.RUN_ID, runId)
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
        .fetch(
            r ->
                new WebhookDelivery(
                    r.getId(),
                    r.getRunId(),
                    r.getEvent(),
                    r.getUrl(),
                    r.getAttempt(),
                    r.getStatusCode(),
                    r.getError(),
                    r.getDeliveredAt()));
  }
}
