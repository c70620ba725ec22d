package io.nightshift.scheduler.logs;

import io.nightshift.executor.LogLine;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local listeners of each run, shared by both buses. A failing callback is logged, not fatal.
 */
final class Followers {
  private static final Logger log = LoggerFactory.getLogger(Followers.class);

  private record Listener(Consumer<LogLine> lines, Consumer<JsonObject> events) {}

  private final Map<Long, List<Listener>> byRun = new ConcurrentHashMap<>();
  private final List<Consumer<JsonObject>> allEvents = new CopyOnWriteArrayList<>();

  Follow add(long runId, Consumer<LogLine> lines, Consumer<JsonObject> events) {
    Listener listener = new Listener(lines, events);
    byRun.compute(
        runId,
        (id, list) -> {
          List<Listener> l = list == null ? new CopyOnWriteArrayList<>() : list;
          l.add(listener);
          return l;
        });
    return () ->
        byRun.computeIfPresent(
            runId,
            (id, list) -> {
              list.remove(listener);
              return list.isEmpty() ? null : list;
            });
  }

  Follow addEvents(Consumer<JsonObject> events) {
    // A wrapper gives each registration its own identity, so close() removes only this one.
    Consumer<JsonObject> own = events::accept;
    allEvents.add(own);
    return () -> allEvents.remove(own);
  }

  boolean follows(long runId) {
    return byRun.containsKey(runId);
  }

  void line(LogLine line) {
    List<Listener> listeners = byRun.get(line.runId());
    if (listeners == null) {
      return;
    }
    for (Listener l : listeners) {
      try {
        l.lines().accept(line);
      } catch (RuntimeException e) {
        log.warn("a follower of run {} failed on a line: {}", line.runId(), e.toString());
      }
    }
  }

  void event(JsonObject event) {
    Object runId = event.getValue("runId");
    if (runId instanceof Number n) {
      List<Listener> listeners = byRun.get(n.longValue());
      if (listeners != null) {
        for (Listener l : listeners) {
          try {
            l.events().accept(event);
          } catch (RuntimeException e) {
            log.warn("a follower of run {} failed on an event: {}", n, e.toString());
          }
        }
      }
    }
    for (Consumer<JsonObject> c : allEvents) {
      try {
        c.accept(event);
      } catch (RuntimeException e) {
        log.warn("an event follower failed: {}", e.toString());
      }
    }
  }
}
