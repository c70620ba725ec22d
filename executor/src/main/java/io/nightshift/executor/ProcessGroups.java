package io.nightshift.executor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Process groups on Linux, read from {@code /proc} and signalled with the {@code kill} program
 * ({@link ProcessHandle} cannot signal a group, and a reparented background child is no longer a
 * descendant of anything we hold).
 */
public final class ProcessGroups {
  private static final Logger log = LoggerFactory.getLogger(ProcessGroups.class);
  private static final Path PROC = Path.of("/proc");
  private static final String KILL =
      Files.isExecutable(Path.of("/bin/kill")) ? "/bin/kill" : "kill";

  private ProcessGroups() {}

  /**
   * Kills, with SIGKILL, a step's process group left behind by a service that died, if it is still
   * there. The group counts as still there when its leader {@code pgid} runs with the recorded
   * start time, or, when the leader has exited, when processes of the group that started no earlier
   * than the leader are left (Linux does not reuse a pid while a group of that id has members).
   *
   * @param startTicks field 22 of {@code /proc/<pid>/stat} recorded at start
   * @return true if a group was found and signalled; false if nothing of it is left (or the pid now
   *     belongs to another process)
   */
  public static boolean killLeftover(long pgid, String startTicks) {
    if (pgid <= 1) {
      throw new IllegalArgumentException("not a step's process group: " + pgid);
    }
    Optional<Stat> leader = stat(pgid);
    if (leader.isPresent()) {
      if (!leader.get().startTicks().equals(startTicks) || leader.get().pgrp() != pgid) {
        return false;
      }
    } else {
      long ticks;
      try {
        ticks = Long.parseLong(startTicks);
      } catch (NumberFormatException e) {
        return false;
      }
      boolean orphans =
          members(pgid).stream()
              .anyMatch(s -> s.session() == pgid && Long.parseLong(s.startTicks()) >= ticks);
      if (!orphans) {
        return false;
      }
    }
    log.info("killing left-over process group {} (start ticks {})", pgid, startTicks);
    signal(pgid, "KILL");
    return true;
  }

  /**
   * Kills, with SIGKILL, the process groups of every process whose environment holds all of {@code
   * tags} (e.g. {@code NIGHTSHIFT_STEP_RUN_ID=42}, {@code NIGHTSHIFT_NODE=web-1}). This finds a
   * step's processes even when the service died before it could record the group, and children that
   * moved to another group; they inherit the environment.
   *
   * @return how many processes matched
   */
  public static int killTagged(java.util.Map<String, String> tags) {
    List<String> wanted = new java.util.ArrayList<>();
    tags.forEach((k, v) -> wanted.add(k + "=" + v));
    long self = ProcessHandle.current().pid();
    java.util.Set<Long> groups = new java.util.TreeSet<>();
    int matched = 0;
    try (var dirs = Files.list(PROC)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        String name = dir.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        long pid = Long.parseLong(name);
        if (pid == self) {
          continue;
        }
        String environ;
        try {
          environ =
              new String(
                  Files.readAllBytes(dir.resolve("environ")),
                  java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
          continue;
        }
        List<String> vars = List.of(environ.split("\0"));
        if (vars.containsAll(wanted)) {
          matched++;
          stat(pid)
              .filter(st -> !st.zombie())
              .ifPresent(st -> groups.add(st.pgrp() > 1 ? st.pgrp() : pid));
          signalPid(pid);
        }
      }
    } catch (IOException e) {
      log.warn("cannot list /proc to find left-over step processes", e);
      return 0;
    }
    for (long group : groups) {
      if (group > 1 && group != ProcessHandle.current().pid()) {
        log.info("killing left-over process group {} tagged {}", group, tags);
        signal(group, "KILL");
      }
    }
    return matched;
  }

  private static void signalPid(long pid) {
    try {
      new ProcessBuilder(KILL, "-s", "KILL", Long.toString(pid))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start()
          .waitFor();
    } catch (IOException e) {
      log.warn("cannot signal process {}", pid, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One process's line of {@code /proc/<pid>/stat}, the fields Nightshift needs. */
  record Stat(long pid, char state, long pgrp, long session, String startTicks) {
    boolean zombie() {
      return state == 'Z' || state == 'X';
    }
  }

  /**
   * The start time (field 22 of {@code /proc/<pid>/stat}) of a live process, empty when no such
   * process runs; with the pid it names a process for good (pids are reused, start times are not).
   */
  public static Optional<String> startTicks(long pid) {
    return stat(pid).filter(s -> !s.zombie()).map(Stat::startTicks);
  }

  static Optional<Stat> stat(long pid) {
    String text;
    try {
      text = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
    int close = text.lastIndexOf(')');
    if (close < 0) {
      return Optional.empty();
    }
    String[] f = text.substring(close + 2).trim().split(" ");
    // f[0] is field 3 (state), so field n is f[n - 3].
    if (f.length < 20) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new Stat(pid, f[0].charAt(0), Long.parseLong(f[2]), Long.parseLong(f[3]), f[19]));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Live (not zombie) processes whose process group is {@code pgid}. */
  static List<Stat> members(long pgid) {
    List<Stat> found = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC)) {
      for (Path dir : dirs) {
        String name = dir.getFileName().toString();
        if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
          continue;
        }
        long pid;
        try {
          pid = Long.parseLong(name);
        } catch (NumberFormatException e) {
          continue;
        }
        stat(pid).filter(s -> s.pgrp() == pgid && !s.zombie()).ifPresent(found::add);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
    }
    return found;
  }

  /** Sends a signal (TERM, KILL, ...) to every process of a group; false if none got it. */
  static boolean signal(long pgid, String signal) {
    if (pgid <= 1) {
      throw new IllegalArgumentException("refusing to signal process group " + pgid);
    }
    try {
      Process kill =
          new ProcessBuilder(KILL, "-s", signal, "--", "-" + pgid)
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      byte[] said = kill.getInputStream().readAllBytes();
      if (!kill.waitFor(10, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
        log.warn("kill -s {} -- -{} did not finish", signal, pgid);
        return false;
      }
      if (kill.exitValue() != 0) {
        log.debug(
            "kill -s {} -- -{}: {}", signal, pgid, new String(said, StandardCharsets.UTF_8).trim());
        return false;
      }
      return true;
    } catch (IOException e) {
      log.warn("cannot run {} to signal process group {}", KILL, pgid, e);
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
