package io.nightshift.executor;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;

/**
 * One line of a step's output: the public JSON of the Redis channel {@code nightshift:log:{runId}}
 * and of the stream {@code nightshift:logs}. {@code (stepRunId, seq)} identifies it; {@code seq}
 * counts from 1 within one attempt (each attempt has its own {@code stepRunId}).
 */
public record LogLine(
    long runId,
    long stepRunId,
    String step,
    int attempt,
    long seq,
    Instant ts,
    String stream,
    String line) {

  /** Output streams; {@code system} lines are written by Nightshift itself (markers, notices). */
  public static final String STDOUT = "stdout";

  public static final String STDERR = "stderr";
  public static final String SYSTEM = "system";

  public LogLine {
    Objects.requireNonNull(step, "step");
    Objects.requireNonNull(ts, "ts");
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(line, "line");
    if (seq < 1) {
      throw new IllegalArgumentException("seq starts at 1, got " + seq);
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("runId", runId)
        .put("stepRunId", stepRunId)
        .put("step", step)
        .put("attempt", attempt)
        .put("seq", seq)
        .put("ts", Instants.format(ts))
        .put("stream", stream)
        .put("line", line);
  }

  public static LogLine fromJson(JsonObject json) {
    return new LogLine(
        json.getLong("runId"),
        json.getLong("stepRunId"),
        json.getString("step"),
        json.getInteger("attempt"),
        json.getLong("seq"),
        Instants.parse(json.getString("ts")),
        json.getString("stream"),
        json.getString("line"));
  }
}
