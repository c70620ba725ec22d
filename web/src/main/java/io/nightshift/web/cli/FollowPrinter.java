package io.nightshift.web.cli;

import io.vertx.core.json.JsonObject;
import java.util.HashSet;
import java.util.Set;

/**
 * Prints a run's live log stream as text: each line as {@code step | line}, each step's status
 * change as {@code -- step NAME STATUS}. Lines and status changes reach the stream by different
 * paths, so an attempt's first line may come before the event saying it runs: the RUNNING mark is
 * then printed before that line (and not again when the event comes), so a step's output never
 * shows above the mark that it started. Lines of an attempt that has ended add no mark. A status of
 * an attempt is marked once, however often it is told (a resumed stream tells where each stands).
 */
final class FollowPrinter {
  private final Output out;
  private final String onlyStep;

  /** Statuses marked, as "stepRunId status"; attempts (step run ids) that have ended. */
  private final Set<String> marked = new HashSet<>();

  private final Set<Long> ended = new HashSet<>();

  /** {@code onlyStep}: print only this step's lines and marks (null: every step's). */
  FollowPrinter(Output out, String onlyStep) {
    this.out = out;
    this.onlyStep = onlyStep;
  }

  void print(String type, JsonObject data) {
    if (out.json()) {
      out.line(new JsonObject().put("event", type).put("data", data).encode());
      return;
    }
    String step = data.getString("step");
    if (onlyStep != null && !onlyStep.equals(step)) {
      return;
    }
    Long attempt = data.getLong("stepRunId");
    switch (type) {
      case "log" -> {
        if (attempt != null && !ended.contains(attempt) && marked.add(attempt + " RUNNING")) {
          mark(step, "RUNNING");
        }
        line(out, data);
      }
      case "step" -> {
        String status = data.getString("status");
        if (attempt != null && !"PENDING".equals(status) && !"RUNNING".equals(status)) {
          ended.add(attempt);
        }
        if (attempt == null || marked.add(attempt + " " + status)) {
          mark(step, status);
        }
      }
      default -> {
        // run, approval and end events: the summary line comes after the stream
      }
    }
  }

  /** A stored or live log line, as text or (with --json) as its event. */
  static void line(Output out, JsonObject data) {
    if (out.json()) {
      out.line(new JsonObject().put("event", "log").put("data", data).encode());
    } else {
      out.line(out.dim(data.getString("step") + " | ") + data.getString("line"));
    }
  }

  private void mark(String step, String status) {
    out.line(out.dim("-- step " + step + " ") + out.status(status));
  }
}
