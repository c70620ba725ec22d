package io.nightshift.web.cli;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.function.BiConsumer;

/**
 * Follows a run's live log to its {@code end}, across lost connections. A stream that stops without
 * its end (the node behind the address stopped and said {@code closing}, the client fell behind and
 * was {@code dropped}, the connection broke) is opened again through the same address (a load
 * balancer sends it to a live node) after the last event received ({@code after=}): the lines go on
 * where they stopped, none twice, and the server tells where each step stands. While no node
 * answers (refused, 502, 503, 504: a node restarting) it is tried every second, up to {@link
 * #RECONNECTS} times in a row (about half a minute), said once on standard error; a revoked token
 * or any other refusal ends the command, as does a first stream that cannot be opened.
 */
final class LogFollower {
  /** Tries in a row that may get nothing before the command gives up. */
  static final int RECONNECTS = 30;

  static final Duration PAUSE = Duration.ofSeconds(1);

  private LogFollower() {}

  /** Hands each event of run {@code runId}'s stream to {@code events}, until its end event. */
  static void follow(Api api, long runId, BiConsumer<String, JsonObject> events) {
    String path = "/api/v1/runs/" + runId + "/logs/stream";
    String after = null;
    int fruitless = 0;
    for (boolean first = true; ; first = false) {
      String why;
      try {
        EventStream.Stopped stopped =
            EventStream.read(
                api, after == null ? path : path + "?after=" + Api.encode(after), events);
        if (stopped == null) {
          return;
        }
        if ("revoked".equals(stopped.event())) {
          throw new ApiError(401, stopped.why());
        }
        after = stopped.after() != null ? stopped.after() : after;
        why = stopped.why();
        fruitless = stopped.received() > 0 ? 0 : fruitless + 1;
      } catch (ApiError e) {
        if (first || !passes(e)) {
          throw e;
        }
        why = e.getMessage() + "; no node answers yet";
        fruitless++;
      }
      if (fruitless > RECONNECTS) {
        throw new ApiError(
            0,
            why
                + "; stopped following run "
                + runId
                + " (it goes on; follow it again with `nightshift logs "
                + runId
                + " --follow`)");
      }
      if (fruitless <= 1) { // a streak of tries that get nothing is said once
        api.note(
            why
                + "; following run "
                + runId
                + " again in "
                + PAUSE.toSeconds()
                + " s, from where it stopped");
      }
      try {
        Api.sleeper.sleep(PAUSE);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ApiError(0, "interrupted");
      }
    }
  }

  /** No node answered, or none could serve it now: another try may reach a live one. */
  private static boolean passes(ApiError e) {
    return e.status() == 0 || e.status() == 502 || e.status() == 503 || e.status() == 504;
  }
}
