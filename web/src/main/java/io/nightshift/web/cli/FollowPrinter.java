package io.nightshift.web.cli;

import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Set;

/**
 * Prints a run's live log stream as text: each line as {@code step | line}, each step's status
 * change as {@code -- step NAME STATUS} (a retry's as {@code step#2 | line}, {@code -- step NAME
 * STATUS attempt 2}). Lines and status changes reach the stream by different paths, so an attempt's
 * first line may come before the event saying it runs: the RUNNING mark is then printed before that
 * line (and not again when the event comes), so a step's output never shows above the mark that it
 * started. Lines of an attempt that has ended add no mark. A status of an attempt is marked once,
 * however often it is told (a resumed stream tells where each stands). An approval asked for says
 * what it asks, who may decide until when, and the commands that decide it; then its decision.
 */
final class FollowPrinter {
  private final Output out;
  private final String onlyStep;

  /** Statuses marked, as "stepRunId status"; attempts (step run ids) that have ended. */
  private final Set<String> marked = new HashSet<>();

  private final Set<Long> ended = new HashSet<>();

  /** Lines shown, by attempt (step run id). */
  private final java.util.Map<Long, Long> shown = new java.util.HashMap<>();

  /** {@code onlyStep}: print only this step's lines and marks (null: every step's). */
  FollowPrinter(Output out, String onlyStep) {
    this.out = out;
    this.onlyStep = onlyStep;
  }

  void print(String type, JsonObject data) {
    String step = data.getString("step");
    Long attempt = data.getLong("stepRunId");
    if ("log".equals(type) && attempt != null && (onlyStep == null || onlyStep.equals(step))) {
      shown.merge(attempt, 1L, Long::sum);
    }
    if (out.json()) {
      out.line(new JsonObject().put("event", type).put("data", data).encode());
      return;
    }
    if (onlyStep != null && !onlyStep.equals(step)) {
      return;
    }
    switch (type) {
      case "log" -> {
        if (attempt != null && !ended.contains(attempt) && marked.add(attempt + " RUNNING")) {
          mark(step, "RUNNING", data);
        }
        line(out, data);
      }
      case "step" -> {
        String status = data.getString("status");
        if (attempt != null && !"PENDING".equals(status) && !"RUNNING".equals(status)) {
          ended.add(attempt);
        }
        if (attempt == null || marked.add(attempt + " " + status)) {
          mark(step, status, data);
        }
      }
      case "approval" -> approval(data);
      default -> {
        // run and end events: the summary line comes after the stream
      }
    }
  }

  /**
   * An approval asked for or decided while following: what it asks, who may decide and until when,
   * and the commands that decide it; then how it was decided.
   */
  private void approval(JsonObject event) {
    JsonObject approval = event.getJsonObject("approval", new JsonObject());
    Object id = event.getValue("approvalId");
    String step = event.getString("step");
    switch (event.getString("event", "")) {
      case "requested" ->
          out.line(
              out.dim("-- approval " + id + " for step " + step + ": ")
                  + approval.getString("message", "approve to go on")
                  + out.dim(
                      " (approvers "
                          + String.join(
                              ", ",
                              approval
                                  .getJsonArray("approvers", new io.vertx.core.json.JsonArray())
                                  .stream()
                                  .map(String::valueOf)
                                  .toList())
                          + (approval.getString("expiresAt") == null
                              ? ""
                              : "; expires " + approval.getString("expiresAt"))
                          + "): nightshift approve "
                          + id
                          + " | nightshift deny "
                          + id
                          + " -m WHY"));
      case "decided", "expired" ->
          out.line(
              out.dim("-- approval " + id + " for step " + step + " ")
                  + out.status(event.getString("status"))
                  + (event.getString("decidedBy") == null
                      ? ""
                      : out.dim(" by " + event.getString("decidedBy")))
                  + (approval.getString("comment") == null
                      ? ""
                      : out.dim(": " + approval.getString("comment"))));
      default -> {}
    }
  }

  /**
   * What the followed run (its detail, once it has ended) stored that was not shown: lines that
   * were not in the store yet when the stream reached them (a node that died holding them). Said,
   * not hidden: the stored log has them.
   */
  java.util.List<String> unshown(JsonObject run) {
    java.util.List<String> said = new java.util.ArrayList<>();
    java.util.List<JsonObject> attempts = new java.util.ArrayList<>();
    for (Object o : run.getJsonArray("steps", new io.vertx.core.json.JsonArray())) {
      JsonObject step = (JsonObject) o;
      io.vertx.core.json.JsonArray all = step.getJsonArray("attempts");
      if (all == null) {
        attempts.add(step);
      } else {
        all.forEach(a -> attempts.add((JsonObject) a));
      }
    }
    for (JsonObject a : attempts) {
      long stored = a.getLong("lines", 0L);
      long missing = stored - shown.getOrDefault(a.getLong("id"), 0L);
      if (missing > 0 && (onlyStep == null || onlyStep.equals(a.getString("name")))) {
        said.add(
            missing
                + " of the "
                + stored
                + " lines of step "
                + a.getString("name")
                + " (attempt "
                + a.getValue("attempt")
                + ") were not shown: they were not stored yet when the stream reached them;"
                + " `nightshift logs "
                + run.getValue("id")
                + " --step "
                + a.getString("name")
                + "` shows them once they are (within about a minute of a node's death)");
      }
    }
    return said;
  }

  /** A stored or live log line, as text or (with --json) as its event. */
  static void line(Output out, JsonObject data) {
    if (out.json()) {
      out.line(new JsonObject().put("event", "log").put("data", data).encode());
    } else {
      out.line(out.dim(data.getString("step") + retry(data, "#") + " | ") + data.getString("line"));
    }
  }

  /** {@code prefix} and the attempt's number for a retry (attempt 2 on); empty for the first. */
  private static String retry(JsonObject data, String prefix) {
    Integer attempt = data.getInteger("attempt");
    return attempt == null || attempt < 2 ? "" : prefix + attempt;
  }

  private void mark(String step, String status, JsonObject data) {
    out.line(out.dim("-- step " + step + " ") + out.status(status) + retry(data, " attempt "));
  }
}
