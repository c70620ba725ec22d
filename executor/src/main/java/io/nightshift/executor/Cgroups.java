package io.nightshift.executor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where this node puts each step in a cgroup of its own, a container of processes that a step
 * cannot leave ({@code setsid}, {@code env -i} and double forks stay inside), so that everything a
 * step started can be killed.
 *
 * <p>Chosen at start: cgroup v2 when it is the system's hierarchy ({@code /sys/fs/cgroup} is a
 * cgroup2 mount), else the cgroup v1 {@code freezer} hierarchy; under the service's own cgroup, a
 * folder {@code nightshift-<node>} with one {@code step-<id>} per step. When neither is writable
 * (not root, no delegation), steps are held by their process group only: {@link #method()} says so
 * and the start-up log and {@code /ready} details show it.
 */
public final class Cgroups {
  private static final Logger log = LoggerFactory.getLogger(Cgroups.class);
  private static final Path ROOT = Path.of("/sys/fs/cgroup");

  /** How a step's processes are held. */
  public enum Kind {
    V2("cgroup v2"),
    V1_FREEZER("cgroup v1 freezer"),
    PROCESS_GROUP("process group only");

    final String label;

    Kind(String label) {
      this.label = label;
    }
  }

  private final Kind kind;
  private final Path base;
  private final String why;
  private final AtomicLong counter = new AtomicLong();

  private Cgroups(Kind kind, Path base, String why) {
    this.kind = kind;
    this.base = base;
    this.why = why;
  }

  /** Process groups only, never cgroups. */
  public static Cgroups none(String why) {
    return new Cgroups(Kind.PROCESS_GROUP, null, why);
  }

  /**
   * Finds a writable hierarchy for node {@code node} and creates its folder; falls back to process
   * groups (and logs why) when there is none.
   */
  public static Cgroups detect(String node) {
    String folder = "nightshift-" + node.replaceAll("[^A-Za-z0-9._-]", "_");
    String problem;
    if (Files.exists(ROOT.resolve("cgroup.controllers"))) {
      Optional<String> own = ownPath("0", "");
      problem = tryBase(Kind.V2, own.map(p -> under(ROOT, p)).orElse(ROOT), folder);
      if (problem == null) {
        return made(Kind.V2, own.map(p -> under(ROOT, p)).orElse(ROOT).resolve(folder));
      }
    } else if (Files.exists(ROOT.resolve("freezer").resolve("freezer.state"))
        || Files.exists(ROOT.resolve("freezer").resolve("cgroup.procs"))) {
      Path mount = ROOT.resolve("freezer");
      Path parent = ownPath(null, "freezer").map(p -> under(mount, p)).orElse(mount);
      problem = tryBase(Kind.V1_FREEZER, parent, folder);
      if (problem == null) {
        return made(Kind.V1_FREEZER, parent.resolve(folder));
      }
    } else {
      problem = "no cgroup v2 hierarchy at " + ROOT + " and no cgroup v1 freezer hierarchy";
    }
    Cgroups fallback = none(problem);
    log.warn(
        "steps are held by their process group only ({}): a step process that calls setsid can"
            + " outlive its step",
        problem);
    return fallback;
  }

  private static Cgroups made(Kind kind, Path base) {
    log.info("each step runs in a {} cgroup under {}", kind.label, base);
    return new Cgroups(kind, base, null);
  }

  private static Path under(Path mount, String path) {
    String relative = path.startsWith("/") ? path.substring(1) : path;
    return relative.isEmpty() ? mount : mount.resolve(relative);
  }

  /** Creates {@code parent/folder}; null if that worked, else the reason. */
  private static String tryBase(Kind kind, Path parent, String folder) {
    Path dir = parent.resolve(folder);
    try {
      Files.createDirectories(dir);
      if (!Files.isWritable(dir.resolve("cgroup.procs"))) {
        return kind.label + " folder " + dir + " has no writable cgroup.procs";
      }
      return null;
    } catch (IOException | RuntimeException e) {
      return kind.label + " hierarchy not writable here (" + dir + ": " + e + ")";
    }
  }

  /**
   * This process's path in a hierarchy, from {@code /proc/self/cgroup}: the line with hierarchy id
   * {@code id} (v2: "0"), or the v1 line listing {@code controller}.
   */
  private static Optional<String> ownPath(String id, String controller) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"), StandardCharsets.UTF_8)) {
        String[] f = line.split(":", 3);
        if (f.length < 3) {
          continue;
        }
        if (id != null && f[0].equals(id) && f[1].isEmpty()) {
          return Optional.of(f[2]);
        }
        if (id == null && List.of(f[1].split(",")).contains(controller)) {
          return Optional.of(f[2]);
        }
      }
    } catch (IOException e) {
      log.debug("cannot read /proc/self/cgroup", e);
    }
    return Optional.empty();
  }

  public Kind kind() {
    return kind;
  }

  /** This node's folder of step cgroups (null when steps are held by process group only). */
  Path base() {
    return base;
  }

  /** One line for logs and {@code /ready}: how steps are contained, and why if only by group. */
  public String method() {
    return kind == Kind.PROCESS_GROUP
        ? "process group only: " + why
        : kind.label + " per step under " + base;
  }

  /**
   * A new, empty cgroup for one step, named after its {@code NIGHTSHIFT_STEP_RUN_ID} when it has
   * one; empty when steps are held by process group only or the folder cannot be made.
   */
  Optional<StepCgroup> create(String stepRunId) {
    if (kind == Kind.PROCESS_GROUP) {
      return Optional.empty();
    }
    // The pid keeps names of this incarnation apart from cgroups an earlier one left behind.
    String name =
        (stepRunId == null || !stepRunId.matches("[0-9]+") ? "p" : "step-" + stepRunId)
            + "-"
            + ProcessHandle.current().pid()
            + "-"
            + counter.incrementAndGet();
    Path dir = base.resolve(name);
    try {
      Files.createDirectory(dir);
      return Optional.of(new StepCgroup(kind, dir));
    } catch (IOException e) {
      log.warn("cannot create cgroup {}; the step is held by its process group only", dir, e);
      return Optional.empty();
    }
  }

  /**
   * Kills every process left in this node's cgroups of step {@code stepRunId} that a service gone
   * (or this one) made (after a restart: what an earlier incarnation of the service left behind)
   * and removes those cgroups.
   *
   * @return how many processes were killed
   */
  public int killLeftovers(long stepRunId) {
    if (kind == Kind.PROCESS_GROUP) {
      return 0;
    }
    int killed = 0;
    try (var dirs = Files.list(base)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        java.util.regex.Matcher step = LEFTOVER.matcher(dir.getFileName().toString());
        if (step.matches() && step.group(1).equals(Long.toString(stepRunId)) && leftBehind(step)) {
          StepCgroup cgroup = new StepCgroup(kind, dir);
          killed += cgroup.pids().size();
          cgroup.killAll();
          cgroup.remove();
        }
      }
    } catch (IOException e) {
      log.warn("cannot list {} to find left-over steps", base, e);
    }
    return killed;
  }

  /**
   * The step run ids of the step cgroups in this node's folder that no other live process made: at
   * start, before this incarnation has started any step, each is a step an earlier one left, whose
   * processes may still run. A cgroup whose service still runs (another installation's node of the
   * same name on this host, a live twin) is not a leftover.
   */
  public java.util.Set<Long> leftoverSteps() {
    java.util.Set<Long> steps = new java.util.TreeSet<>();
    if (kind == Kind.PROCESS_GROUP) {
      return steps;
    }
    try (var dirs = Files.list(base)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        java.util.regex.Matcher step = LEFTOVER.matcher(dir.getFileName().toString());
        if (!step.matches()) {
          continue;
        }
        if (leftBehind(step)) {
          steps.add(Long.parseLong(step.group(1)));
        }
      }
    } catch (IOException e) {
      log.warn("cannot list {} to find left-over steps", base, e);
    }
    return steps;
  }

  /**
   * Whether the step cgroup {@code step} names (matched by {@link #LEFTOVER}) was made by this
   * process or by one that is gone: one whose service still runs (another installation's node of
   * the same name on this host, a live twin) is that service's, never a leftover.
   */
  private static boolean leftBehind(java.util.regex.Matcher step) {
    long maker = Long.parseLong(step.group(2));
    return maker == ProcessHandle.current().pid()
        || !ProcessHandle.of(maker).map(ProcessHandle::isAlive).orElse(false);
  }

  /** A step cgroup's name: {@code step-<step run id>-<pid of its service>-<n>}. */
  private static final java.util.regex.Pattern LEFTOVER =
      java.util.regex.Pattern.compile("step-([0-9]{1,18})-([0-9]{1,18})-[0-9]+");

  /** Removes this node's folder if no step cgroup is left in it (at shutdown). */
  public void close() {
    if (kind == Kind.PROCESS_GROUP) {
      return;
    }
    try {
      Files.deleteIfExists(base);
    } catch (IOException e) {
      log.debug("cgroup folder {} not removed: {}", base, e.toString());
    }
  }
}
