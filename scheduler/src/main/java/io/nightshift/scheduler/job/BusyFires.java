package io.nightshift.scheduler.job;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A lane's fires whose job's row another transaction held when they were claimed, parked per job in
 * their order (a job's fires have distinct times: the queue holds each once). Every {@code pause}
 * only the earliest fire of each such job is tried again (a probe): one claim per job however many
 * of its fires piled up behind. A probe whose row was free releases its job's other fires at once;
 * one that found it held again is parked again. Only its lane's thread uses it.
 */
final class BusyFires {
  private final Duration pause;
  private final Map<Long, TreeMap<Instant, Firing.Due>> parked = new LinkedHashMap<>();
  private int size;
  private long probeAt; // System.nanoTime() when the probes are sent; meaningful while any

  BusyFires(Duration pause) {
    this.pause = pause;
  }

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  /** A fire that found its job's row held: parked among the job's others by time. */
  void park(Firing.Due fire, long nanoNow) {
    if (size == 0) {
      probeAt = nanoNow + pause.toNanos();
    }
    if (parked.computeIfAbsent(fire.jobId(), id -> new TreeMap<>()).put(fire.scheduledAt(), fire)
        == null) {
      size++;
    }
  }

  /**
   * Takes out of {@code ready} the fires of the jobs parked here and parks them behind the job's
   * earlier ones: a job's fires are claimed in their order.
   */
  void parkBehind(List<Firing.Due> ready) {
    if (size == 0) {
      return;
    }
    ready.removeIf(
        fire -> {
          TreeMap<Instant, Firing.Due> waiting = parked.get(fire.jobId());
          if (waiting == null) {
            return false;
          }
          if (waiting.put(fire.scheduledAt(), fire) == null) {
            size++;
          }
          return true;
        });
  }

  /** The earliest parked fire of each job, taken out, when it is time to try them again. */
  List<Firing.Due> probes(long nanoNow) {
    List<Firing.Due> probes = new ArrayList<>();
    if (size == 0 || nanoNow - probeAt < 0) {
      return probes;
    }
    var jobs = parked.entrySet().iterator();
    while (jobs.hasNext()) {
      TreeMap<Instant, Firing.Due> waiting = jobs.next().getValue();
      probes.add(waiting.pollFirstEntry().getValue());
      size--;
      if (waiting.isEmpty()) {
        jobs.remove();
      }
    }
    probeAt = nanoNow + pause.toNanos();
    return probes;
  }

  /** The job's row was free: its parked fires, in their order, taken out. */
  List<Firing.Due> release(long jobId) {
    TreeMap<Instant, Firing.Due> waiting = parked.remove(jobId);
    if (waiting == null) {
      return List.of();
    }
    size -= waiting.size();
    return new ArrayList<>(waiting.values());
  }

  /** Milliseconds until the probes are due ({@code max} when nothing is parked). */
  long millisUntilProbes(long nanoNow, long max) {
    if (size == 0) {
      return max;
    }
    return Math.min(max, Math.max(0, (probeAt - nanoNow) / 1_000_000));
  }

  /** Every parked fire, taken out. */
  List<Firing.Due> clear() {
    List<Firing.Due> all = new ArrayList<>();
    parked.values().forEach(waiting -> all.addAll(waiting.values()));
    parked.clear();
    size = 0;
    return all;
  }
}
