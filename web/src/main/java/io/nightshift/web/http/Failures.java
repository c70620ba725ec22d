package io.nightshift.web.http;

import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.error.Forbidden;
import io.nightshift.scheduler.error.Invalid;
import io.nightshift.scheduler.error.KeyReused;
import io.nightshift.scheduler.error.NightshiftException;
import io.nightshift.scheduler.error.NotFound;
import io.nightshift.scheduler.error.StoredInvalid;
import io.nightshift.scheduler.error.TooMany;
import io.nightshift.scheduler.error.Unauthorized;
import io.nightshift.scheduler.error.Unavailable;
import io.nightshift.scheduler.secrets.SecretKeyException;
import io.nightshift.scheduler.store.Sql;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place that turns a failure into an HTTP status and the error JSON of the API. */
public final class Failures implements Handler<RoutingContext> {
  private static final Logger log = LoggerFactory.getLogger(Failures.class);

  /** Most problems listed in one answer's {@code details}. */
  static final int MAX_DETAILS = 50;

  /** When a client may try again after the database had no free connection (seconds). */
  static final int BUSY_RETRY_AFTER_SECONDS = 2;

  @Override
  public void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    if (failure instanceof NightshiftException e) {
      JsonObject error = error(e.code(), e.getMessage());
      if (e instanceof Invalid invalid) {
        details(error.getJsonObject("error"), invalid.problems());
      }
      if (e instanceof Unauthorized) {
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"nightshift\"");
      }
      if (e instanceof Unavailable unavailable) {
        ctx.response().putHeader("Retry-After", String.valueOf(unavailable.retryAfterSeconds()));
      }
      send(ctx, status(e), error);
      return;
    }
    int status = ctx.statusCode();
    if (failure == null && status >= 400 && status < 500) {
      send(ctx, status, byStatus(ctx, status));
      return;
    }
    SecretKeyException unreadable = secretKeyProblem(failure);
    if (unreadable != null) {
      log.warn(
          "request {} {}: a stored secret cannot be read: {}",
          ctx.request().method(),
          ctx.request().path(),
          unreadable.getMessage());
      send(ctx, 503, error("secrets_unavailable", unreadable.getMessage()));
      return;
    }
    if (Sql.isConnectionError(failure)) {
      // Connections fail (the database is down or cut off): not a pool too small for the load.
      notNow(
          ctx,
          "the database cannot be reached (" + rootMessage(failure) + ")",
          BUSY_RETRY_AFTER_SECONDS,
          "database_unavailable",
          "the database cannot be reached (down, or cut off from this node; its log says why)");
      return;
    }
    if (poolTimeout(failure)) {
      notNow(
          ctx,
          "no database connection was free in time (" + failure + ")",
          BUSY_RETRY_AFTER_SECONDS,
          "database_busy",
          "the database is busy: no connection of its pool (db.poolSize) was free in time");
      return;
    }
    if (Sql.isLockConflict(failure)) {
      // Another transaction held what this one writes (a copy of the same request, most often).
      notNow(
          ctx,
          "gave up waiting for a lock another transaction held (" + rootMessage(failure) + ")",
          1,
          "write_conflict",
          "another transaction held rows this request writes (another request, or a long"
              + " transaction on the database) and this one gave up waiting for them");
      return;
    }
    String ref = UUID.randomUUID().toString().substring(0, 8);
    log.error(
        "request {} {} failed (ref {})",
        ctx.request().method(),
        ctx.request().path(),
        ref,
        failure);
    send(
        ctx,
        500,
        error("internal", "internal error; the server log has the details (ref " + ref + ")"));
  }

  /**
   * The failure's {@link SecretKeyException} (a stored secret sealed with a key this node does not
   * have, or damaged), possibly wrapped (jOOQ's mapping and data access exceptions); null if none.
   * Its message names the key, never a secret.
   */
  static SecretKeyException secretKeyProblem(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      if (t instanceof SecretKeyException e) {
        return e;
      }
    }
    return null;
  }

  /** The first line of the innermost cause's message (or its class): what actually failed. */
  static String rootMessage(Throwable failure) {
    Throwable root = failure;
    for (int depth = 0; root.getCause() != null && depth < 16; depth++) {
      root = root.getCause();
    }
    String message = root.getMessage();
    return message == null || message.isBlank()
        ? root.getClass().getSimpleName()
        : message.lines().findFirst().orElse(message).strip();
  }

  /**
   * Whether the failure is the connection pool's timeout (Hikari's {@link
   * java.sql.SQLTransientConnectionException}), possibly wrapped (jOOQ's DataAccessException).
   */
  static boolean poolTimeout(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      if (t instanceof java.sql.SQLTransientConnectionException) {
        return true;
      }
    }
    return false;
  }

  /**
   * The problems as {@code details}: the first {@link #MAX_DETAILS}, and how many more there are in
   * {@code detailsOmitted} (a body with 70,000 wrong fields must not get a 6 MB answer).
   */
  private static void details(JsonObject error, java.util.List<Invalid.Problem> problems) {
    JsonArray details = new JsonArray();
    problems.stream()
        .limit(MAX_DETAILS)
        .forEach(
            p -> details.add(new JsonObject().put("field", p.field()).put("message", p.message())));
    error.put("details", details);
    int omitted = problems.size() - MAX_DETAILS;
    if (omitted > 0) {
      error
          .put("detailsOmitted", omitted)
          .put(
              "message",
              error.getString("message")
                  + "; details lists the first "
                  + MAX_DETAILS
                  + ", and "
                  + omitted
                  + " more are not listed");
    }
  }

  /** For the router's error handlers (no route, wrong method), which carry no failure. */
  public Handler<RoutingContext> forStatus(int status) {
    return ctx -> {
      if (!ctx.response().ended()) {
        send(ctx, status, byStatus(ctx, status));
      }
    };
  }

  private static JsonObject byStatus(RoutingContext ctx, int status) {
    return switch (status) {
      case 404 ->
          error(
              "not_found",
              "no such endpoint: " + ctx.request().method() + " " + ctx.request().path());
      case 405 ->
          error(
              "method_not_allowed",
              "method " + ctx.request().method() + " is not allowed on " + ctx.request().path());
      case 413 ->
          error("body_too_large", "the request body is larger than the limit (http.maxBodyBytes)");
      case 415 -> error("unsupported_media_type", "send the body as application/json");
      default -> error("bad_request", "the request was refused (HTTP " + status + ")");
    };
  }

  private static int status(NightshiftException e) {
    if (e instanceof Invalid) {
      return 400;
    }
    if (e instanceof Unauthorized) {
      return 401;
    }
    if (e instanceof Forbidden) {
      return 403;
    }
    if (e instanceof NotFound) {
      return 404;
    }
    if (e instanceof Conflict || e instanceof StoredInvalid) {
      return 409;
    }
    if (e instanceof TooMany) {
      return 429;
    }
    if (e instanceof KeyReused) {
      return 422;
    }
    if (e instanceof Unavailable) {
      return 503;
    }
    return 400;
  }

  /**
   * 503 with {@code Retry-After}: the request may succeed when sent again in {@code seconds}; the
   * node's log says {@code why} (which may name hosts: not for the caller).
   */
  private static void notNow(
      RoutingContext ctx, String why, int seconds, String code, String message) {
    log.warn("request {} {}: {}", ctx.request().method(), ctx.request().path(), why);
    ctx.response().putHeader("Retry-After", String.valueOf(seconds));
    send(ctx, 503, error(code, message + "; try again in " + seconds + " s (Retry-After)"));
  }

  static JsonObject error(String code, String message) {
    return new JsonObject()
        .put("error", new JsonObject().put("code", code).put("message", message));
  }

  static void send(RoutingContext ctx, int status, JsonObject body) {
    ctx.response()
        .setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .end(body.encode());
  }
}
