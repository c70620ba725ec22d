package io.nightshift.executor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cgroup of one step: its processes and their descendants, wherever they moved in sessions and
 * process groups. Killing all is freeze, SIGKILL every member, thaw (so nothing forks meanwhile);
 * on cgroup v2 with {@code cgroup.kill}, one write does it.
 */
final class StepCgroup {
  private static final Logger log = LoggerFactory.getLogger(StepCgroup.class);
  private static final long FREEZE_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(2);
  private static final String KILL =
      Files.isExecutable(Path.of("/bin/kill")) ? "/bin/kill" : "kill";

  private final Cgroups.Kind kind;
  private final Path dir;

  StepCgroup(Cgroups.Kind kind, Path dir) {
    this.kind = kind;
    this.dir = dir;
  }

  Path dir() {
    return dir;
  }

  /** The file a process writes its pid into to join. */
  Path procs() {
    return dir.resolve("cgroup.procs");
  }

  /** Live members; empty once the cgroup is gone. */
  List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(procs(), StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          long pid = Long.parseLong(line.trim());
          if (ProcessGroups.stat(pid).filter(s -> !s.zombie()).isPresent()) {
            pids.add(pid);
          }
        }
      }
    } catch (IOException | NumberFormatException e) {
      return List.of();
    }
    return pids;
  }

  /** Sends {@code signal} to every member. */
  void signal(String signal) {
    send(signal, pids());
  }

  /** SIGKILL to every member, with the cgroup frozen so that none can fork meanwhile. */
  void killAll() {
    if (kind == Cgroups.Kind.V2 && Files.exists(dir.resolve("cgroup.kill"))) {
      write("cgroup.kill", "1");
      return;
    }
    boolean frozen = freeze(true);
    try {
      send("KILL", pids());
    } finally {
      if (frozen) {
        freeze(false);
      }
    }
  }

  /** Removes the (empty) cgroup; a leftover is logged and left for the next start. */
  void remove() {
    for (int i = 0; i < 50; i++) {
      try {
        Files.deleteIfExists(dir);
        return;
      } catch (IOException e) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
    }
    log.warn("cgroup {} could not be removed (still has members?)", dir);
  }

  private boolean freeze(boolean on) {
    if (kind == Cgroups.Kind.V2) {
      if (!write("cgroup.freeze", on ? "1" : "0")) {
        return false;
      }
      return !on || waitFor(() -> read("cgroup.events").contains("frozen 1"));
    }
    if (!write("freezer.state", on ? "FROZEN" : "THAWED")) {
      return false;
    }
    return !on || waitFor(() -> read("freezer.state").trim().equals("FROZEN"));
  }

  private static boolean waitFor(java.util.function.BooleanSupplier done) {
    long deadline = System.nanoTime() + FREEZE_LIMIT_NANOS;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    return true;
  }

  private String read(String file) {
    try {
      return Files.readString(dir.resolve(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private boolean write(String file, String value) {
    try {
      Files.writeString(dir.resolve(file), value, StandardCharsets.UTF_8);
      return true;
    } catch (java.nio.file.NoSuchFileException gone) {
      // The cgroup was removed meanwhile (its step ended and was cleaned up): nothing is left in
      // it to hold or kill.
      log.debug("cgroup {} is gone; {} not written", dir, value);
      return false;
    } catch (IOException e) {
      log.warn("cannot write {} to {}", value, dir.resolve(file), e);
      return false;
    }
  }

  private static void send(String signal, List<Long> pids) {
    if (pids.isEmpty()) {
      return;
    }
    List<String> command = new ArrayList<>(List.of(KILL, "-s", signal, "--"));
    pids.forEach(p -> command.add(Long.toString(p)));
    try {
      Process kill =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!kill.waitFor(10, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
      }
    } catch (IOException e) {
      log.warn("cannot run {} to signal {}", KILL, pids, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return dir.toString();
  }
}
