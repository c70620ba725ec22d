package io.nightshift.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * CPU time spent during a part, from /proc (Linux): this JVM (service and clients), mariadbd, the
 * Redis server, and the whole machine, so a reader can tell a slow service from a busy machine
 * (other programs' share is {@code machine - jvm - mariadb - redis}).
 */
final class CpuMeter {
  private static final double TICK = 0.01; // USER_HZ is 100 on Linux

  /** {@code jit}: the part of {@code jvm} spent by the JIT compiler's threads. */
  record Snapshot(
      long nanos,
      double jvm,
      double jit,
      double mariadb,
      double redis,
      double busy,
      java.util.Map<Long, Long> threads) {}

  /** With {@code -Dbench.threads=true}, each cpu line also names the busiest JVM threads. */
  private static final boolean THREADS = Boolean.getBoolean("bench.threads");

  private final long mariadbPid;
  private final long redisPid;
  private final int cores = Runtime.getRuntime().availableProcessors();

  CpuMeter(long redisPid) {
    this.mariadbPid = findByName("mariadbd", "mysqld");
    this.redisPid = redisPid;
  }

  Snapshot now() {
    return new Snapshot(
        System.nanoTime(),
        jvmSeconds(),
        jitSeconds(),
        processSeconds(mariadbPid),
        processSeconds(redisPid),
        busy(),
        THREADS ? threadTimes() : java.util.Map.of());
  }

  /** One line: CPU seconds of each, and how busy the machine's cores were. */
  String since(Snapshot start) {
    Snapshot end = now();
    double wall = (end.nanos() - start.nanos()) / 1e9;
    double jvm = end.jvm() - start.jvm();
    double db = end.mariadb() - start.mariadb();
    double redis = end.redis() - start.redis();
    double busy = end.busy() - start.busy();
    double others = Math.max(0, busy - jvm - db - redis);
    return String.format(
            Locale.ROOT,
            "cpu over %.1f s: jvm %.1f s, mariadbd %.1f s, redis %.1f s, other programs %.1f s"
                + " (machine %.0f%% busy of %d cores)",
            wall,
            jvm,
            db,
            redis,
            others,
            wall <= 0 ? 0 : 100 * busy / (wall * cores),
            cores)
        + (THREADS ? "\n      threads: " + busiestThreads(start.threads(), end.threads()) : "");
  }

  private static java.util.Map<Long, Long> threadTimes() {
    var bean = ManagementFactory.getThreadMXBean();
    java.util.Map<Long, Long> times = new java.util.HashMap<>();
    for (long id : bean.getAllThreadIds()) {
      long t = bean.getThreadCpuTime(id);
      if (t > 0) {
        times.put(id, t);
      }
    }
    return times;
  }

  /**
   * The busiest thread groups over the interval: threads named alike but for their numbers
   * ("vert.x-worker-thread-3", "vert.x-worker-thread-12") count as one pool,
   * "vert.x-worker-thread-# (20)"; threads that ended meanwhile are not seen.
   */
  private static String busiestThreads(
      java.util.Map<Long, Long> from, java.util.Map<Long, Long> to) {
    var bean = ManagementFactory.getThreadMXBean();
    java.util.Map<String, long[]> pools = new java.util.HashMap<>();
    to.forEach(
        (id, time) -> {
          var info = bean.getThreadInfo(id);
          String name = info == null ? "ended" : info.getThreadName().replaceAll("[0-9]+", "#");
          long[] pool = pools.computeIfAbsent(name, n -> new long[2]);
          pool[0] += time - from.getOrDefault(id, 0L);
          pool[1]++;
        });
    return pools.entrySet().stream()
        .sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
        .limit(12)
        .map(
            e ->
                String.format(
                    Locale.ROOT,
                    "%s%s %.2f s",
                    e.getKey(),
                    e.getValue()[1] > 1 ? " (" + e.getValue()[1] + ")" : "",
                    e.getValue()[0] / 1e9))
        .collect(java.util.stream.Collectors.joining(", "));
  }

  private static double jvmSeconds() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime() / 1e9;
    }
    return Double.NaN;
  }

  /**
   * CPU seconds of this JVM's JIT compiler threads ("C1 CompilerThread0", "C2 CompilerThread0",
   * ...; comm shows their first 15 characters), from /proc/self/task: what the JVM spends while it
   * still compiles, not on the work measured. Exact only while compiler threads are never retired
   * ({@code -XX:-UseDynamicNumberOfCompilerThreads}, as scripts/bench.sh starts it): a retired
   * thread's time leaves this sum.
   */
  private static double jitSeconds() {
    double total = 0;
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          if (comm.contains("CompilerThre")) {
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            total += (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK;
          }
        } catch (IOException | RuntimeException gone) {
          // a thread that ended meanwhile
        }
      }
    } catch (IOException e) {
      return Double.NaN;
    }
    return total;
  }

  private static double processSeconds(long pid) {
    if (pid <= 0) {
      return Double.NaN;
    }
    try {
      String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // after "pid (comm) ": state is f[0]; utime is field 14 of the line, f[11]; stime f[12]
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** Non-idle CPU seconds of the whole machine since boot. */
  private static double busy() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < f.length && i <= 8; i++) {
        total += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
      return (total - idle) * TICK;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  private static long findByName(String... names) {
    try (var dirs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) dirs::iterator) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          String comm = Files.readString(p.resolve("comm")).trim();
          for (String n : names) {
            if (comm.equals(n)) {
              return Long.parseLong(name);
            }
          }
        } catch (IOException e) {
          // gone
        }
      }
    } catch (IOException e) {
      // no /proc
    }
    return -1;
  }
}
