package io.nightshift.scheduler.notify;

import java.time.Instant;

/** One attempt to deliver a webhook: the answer's status code, or the error. */
public record WebhookDelivery(
    long id,
    long runId,
    String event,
    String url,
    int attempt,
    Integer statusCode,
    String error,
    Instant at) {}
