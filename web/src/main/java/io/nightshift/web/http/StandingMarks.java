package io.nightshift.web.http;

import io.nightshift.executor.Instants;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The step events a stream owes its client (where each attempt stood when it opened: a client
 * joining late, or resuming, missed those changes), handed out in time order among the stored lines
 * it replays: each before the first line that came after it, so an attempt's end shows below its
 * last line and above the next step's first. What no line came after goes out once the replay is
 * done.
 */
final class StandingMarks {
  private final ArrayDeque<JsonObject> owed = new ArrayDeque<>();

  /** {@code events}: step events, each with its {@code ts}. */
  StandingMarks(List<JsonObject> events) {
    events.stream().sorted(Comparator.comparing(StandingMarks::at)).forEach(owed::add);
  }

  static StandingMarks none() {
    return new StandingMarks(List.of());
  }

  /** The events owed from before {@code ts} (a line's time); they are owed no more. */
  List<JsonObject> before(Instant ts) {
    List<JsonObject> due = new ArrayList<>();
    while (!owed.isEmpty() && at(owed.peek()).isBefore(ts)) {
      due.add(owed.poll());
    }
    return due;
  }

  /** Every event still owed; none is owed any more. */
  List<JsonObject> rest() {
    List<JsonObject> all = new ArrayList<>(owed);
    owed.clear();
    return all;
  }

  private static Instant at(JsonObject event) {
    return Instants.parse(event.getString("ts"));
  }
}
