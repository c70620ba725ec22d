package io.nightshift.executor;

import java.io.IOException;
import java.io.InputStream;
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
  private static final int STAT_BUFFER = 1024;
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
    return killTagged(tags, null, null);
  }

  /**
   * {@link #killTagged(java.util.Map)}, of the processes whose variable {@code var} also starts
   * with {@code prefix} (e.g. a run directory under this node's work root; both null: any).
   */
  public static int killTagged(java.util.Map<String, String> tags, String var, String prefix) {
    long self = ProcessHandle.current().pid();
    java.util.Set<Long> groups = new java.util.TreeSet<>();
    int matched = 0;
    java.util.Map<Long, List<String>> found = tagged(tags);
    if (found == null) {
      return 0;
    }
    for (var process : found.entrySet()) {
      long pid = process.getKey();
      if (pid == self
          || (var != null
              && process.getValue().stream().noneMatch(v -> v.startsWith(var + "=" + prefix)))) {
        continue;
      }
      matched++;
      stat(pid)
          .filter(st -> !st.zombie())
          .ifPresent(st -> groups.add(st.pgrp() > 1 ? st.pgrp() : pid));
      signalPid(pid);
    }
    for (long group : groups) {
      if (group > 1 && group != ProcessHandle.current().pid()) {
        log.info("killing left-over process group {} tagged {}", group, tags);
        signal(group, "KILL");
      }
    }
    return matched;
  }

  /**
   * The environments of the processes whose environment holds all of {@code tags} (e.g. the step
   * processes a node left on this host), one map each.
   */
  public static List<java.util.Map<String, String>> taggedEnvironments(
      java.util.Map<String, String> tags) {
    List<java.util.Map<String, String>> found = new java.util.ArrayList<>();
    java.util.Map<Long, List<String>> processes = tagged(tags);
    if (processes != null) {
      for (List<String> vars : processes.values()) {
        java.util.Map<String, String> env = new java.util.HashMap<>();
        for (String v : vars) {
          int eq = v.indexOf('=');
          if (eq > 0) {
            env.put(v.substring(0, eq), v.substring(eq + 1));
          }
        }
        found.add(env);
      }
    }
    return found;
  }

  /**
   * The processes (other than this one) whose environment holds all of {@code tags}, with their
   * environment; null when {@code /proc} cannot be listed.
   */
  private static java.util.Map<Long, List<String>> tagged(java.util.Map<String, String> tags) {
    List<String> wanted = new java.util.ArrayList<>();
    tags.forEach((k, v) -> wanted.add(k + "=" + v));
    long self = ProcessHandle.current().pid();
    java.util.Map<Long, List<String>> found = new java.util.TreeMap<>();
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
          found.put(pid, vars);
        }
      }
    } catch (IOException e) {
      log.warn("cannot list /proc to find left-over step processes", e);
      return null;
    }
    return found;
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
    byte[] text;
    int length;
    // Read with one small buffer: members() reads this file for every process on the machine.
    try (InputStream in = Files.newInputStream(PROC.resolve(Long.toString(pid)).resolve("stat"))) {
      text = new byte[STAT_BUFFER];
      length = in.readNBytes(text, 0, text.length);
      if (length == text.length) {
        byte[] rest = in.readAllBytes();
        text = java.util.Arrays.copyOf(text, length + rest.length);
        System.arraycopy(rest, 0, text, length, rest.length);
        length = text.length;
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    return parse(pid, text, length);
  }

  /**
   * Parses fields 3 (state), 5 (pgrp), 6 (session) and 22 (start time) of a {@code stat} line
   * without splitting all of its ~50 fields. The command name (field 2) is in parentheses and may
   * itself hold spaces and parentheses, so fields are counted from the last ')'.
   */
  static Optional<Stat> parse(long pid, byte[] text, int length) {
    int close = -1;
    for (int i = length - 1; i >= 0; i--) {
      if (text[i] == ')') {
        close = i;
        break;
      }
    }
    if (close < 0 || close + 2 >= length) {
      return Optional.empty();
    }
    char state = 0;
    long pgrp = 0;
    long session = 0;
    int field = 3;
    int i = close + 2;
    while (i < length && field <= 22) {
      int start = i;
      while (i < length && text[i] != ' ' && text[i] != '\n') {
        i++;
      }
      if (i == start) {
        return Optional.empty();
      }
      try {
        switch (field) {
          case 3 -> state = (char) text[start];
          case 5 -> pgrp = Long.parseLong(ascii(text, start, i));
          case 6 -> session = Long.parseLong(ascii(text, start, i));
          case 22 -> {
            return Optional.of(new Stat(pid, state, pgrp, session, ascii(text, start, i)));
          }
          default -> {
            // not needed
          }
        }
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
      field++;
      i++;
    }
    return Optional.empty();
  }

  private static String ascii(byte[] text, int from, int to) {
    return new String(text, from, to - from, StandardCharsets.US_ASCII);
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
