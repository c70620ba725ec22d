package io.nightshift.web.http;

import io.nightshift.executor.Instants;
import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.run.Run;
import io.nightshift.scheduler.run.RunEvents;
import io.nightshift.scheduler.run.StepRun;
import io.nightshift.scheduler.run.StepStatus;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The step events a stream owes its client (where each attempt stood when it opened: a client
 * joining late, or resuming, missed those changes), handed out in time order among the stored lines
 * it replays: each before the first line that came after it, so the next step's first line shows
 * below the mark that it started. An attempt's end comes right after its last line, never above it
 * (a process's last line may be stamped after its exit was). What is still owed goes out once the
 * replay is done, but the end of an attempt whose lines the store did not have yet (a fast step
 * that ended just before the stream opened): the stream reads those lines again for a short while,
 * and the end goes right after the last of them, or once that while is over if they never come
 * (lines a retention deleted from a long-running run), before any live line.
 */
final class StandingMarks {
  private final List<JsonObject> owed = new ArrayList<>();

  /** Of each ended attempt with lines, by step run id: how many it stored. */
  private final Map<Long, Long> lastLines = new HashMap<>();

  /** Of each attempt, by step run id: the seq of the last line the stream went past. */
  private final Map<Long, Long> passed = new HashMap<>();

  /** Of each attempt, by step run id: the last status the stream told. */
  private final Map<Long, String> told = new HashMap<>();

  /**
   * {@code events}: step events, each with its {@code ts}; {@code lastLines}: see the field; {@code
   * held}: by step run id, the seq of the last line the client has already (where it resumes),
   * which the stream passes at once.
   */
  StandingMarks(List<JsonObject> events, Map<Long, Long> lastLines, Map<Long, Long> held) {
    events.stream().sorted(Comparator.comparing(StandingMarks::at)).forEach(owed::add);
    this.lastLines.putAll(lastLines);
    this.passed.putAll(held);
  }

  /** Where each of {@code run}'s started attempts stands; {@code held}: as for the constructor. */
  static StandingMarks of(Run run, Map<Long, Long> held) {
    Map<Long, Long> last = new HashMap<>();
    for (StepRun attempt : run.attempts()) {
      if (attempt.status().ended() && attempt.lineCount() > 0) {
        last.put(attempt.id(), attempt.lineCount());
      }
    }
    return new StandingMarks(RunEvents.standing(run), last, held);
  }

  static StandingMarks none() {
    return new StandingMarks(List.of(), Map.of(), Map.of());
  }

  /**
   * The events owed from before {@code line}'s time, but the end of an attempt whose last line has
   * not been passed yet; they are owed no more.
   */
  List<JsonObject> before(LogLine line) {
    List<JsonObject> due = new ArrayList<>();
    for (Iterator<JsonObject> it = owed.iterator(); it.hasNext(); ) {
      JsonObject event = it.next();
      if (!at(event).isBefore(line.ts())) {
        break;
      }
      if (!linesToCome(event)) {
        due.add(event);
        it.remove();
      }
    }
    return due;
  }

  /**
   * The stream went past {@code line} (sent, or before where the client resumes): the end of its
   * attempt, if that was its last line; it is owed no more.
   */
  List<JsonObject> after(LogLine line) {
    passed.merge(line.stepRunId(), line.seq(), Math::max);
    Long last = lastLines.get(line.stepRunId());
    if (owed.isEmpty() || last == null || line.seq() < last) {
      return List.of(); // not an ended attempt's last line: no end is released here
    }
    List<JsonObject> due = new ArrayList<>();
    for (Iterator<JsonObject> it = owed.iterator(); it.hasNext(); ) {
      JsonObject event = it.next();
      if (event.getLong("stepRunId") == line.stepRunId() && !linesToCome(event)) {
        due.add(event);
        it.remove();
      }
    }
    return due;
  }

  /**
   * An event went out on the stream: a step event (standing or live) tells its attempt's status.
   */
  void told(String type, JsonObject event) {
    if ("step".equals(type)) {
      long attempt = event.getLong("stepRunId");
      String status = event.getString("status");
      told.put(attempt, status);
      // The same status still owed (an end held for its lines) would say it twice.
      owed.removeIf(e -> e.getLong("stepRunId") == attempt && status.equals(e.getString("status")));
    }
  }

  /**
   * Whether a live step event says nothing new: its attempt's status was told already, this one or
   * a later one (a standing mark read after the stream subscribed can be newer than a live event
   * held meanwhile). An attempt moves on from waiting or running to an end, and from an end only to
   * ROLLED_BACK (its undo ran).
   */
  boolean stale(JsonObject event) {
    String was = told.get(event.getLong("stepRunId"));
    if (was == null) {
      return false;
    }
    StepStatus before = StepStatus.valueOf(was);
    StepStatus now = StepStatus.valueOf(event.getString("status"));
    return before == now || before == StepStatus.ROLLED_BACK || (before.ended() && !now.ended());
  }

  /** Whether the stream told a status of attempt {@code stepRunId}. */
  boolean told(long stepRunId) {
    return told.containsKey(stepRunId);
  }

  /**
   * Where each attempt of {@code run} (as read at its end) stands, for those the stream has not
   * told so: the last events of a run can lag its end (the stream ends on the run's status in the
   * store).
   */
  List<JsonObject> untold(Run run) {
    return RunEvents.standing(run).stream()
        .filter(e -> !e.getString("status").equals(told.get(e.getLong("stepRunId"))))
        .toList();
  }

  /**
   * Every event still owed once the replay is done, but ends whose lines are still to come (they
   * are owed until the stream passes their last line, see {@link #after}).
   */
  List<JsonObject> afterReplay() {
    List<JsonObject> due = new ArrayList<>();
    for (Iterator<JsonObject> it = owed.iterator(); it.hasNext(); ) {
      JsonObject event = it.next();
      if (!linesToCome(event)) {
        due.add(event);
        it.remove();
      }
    }
    return due;
  }

  /** Every event still owed (ends whose lines never came); none is owed any more. */
  List<JsonObject> rest() {
    List<JsonObject> all = new ArrayList<>(owed);
    owed.clear();
    return all;
  }

  /** True for an attempt's end while lines of that attempt are still to be passed. */
  private boolean linesToCome(JsonObject event) {
    Long attempt = event.getLong("stepRunId");
    Long last = lastLines.get(attempt);
    return last != null && passed.getOrDefault(attempt, 0L) < last;
  }

  private static Instant at(JsonObject event) {
    return Instants.parse(event.getString("ts"));
  }
}
