package io.nightshift.scheduler.audit;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/** Who did what to which target, and when. {@code detail} never holds a secret value. */
public record AuditEvent(
    long id,
    Instant at,
    String actor,
    String action,
    String targetKind,
    String target,
    JsonObject detail) {}
