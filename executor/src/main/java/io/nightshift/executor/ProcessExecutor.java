package io.nightshift.executor;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs step processes, each in its own session and process group, so that a timeout, a cancel or
 * the end of the step can kill everything the step started, background children included.
 *
 * <p>The process is started as {@code setsid argv...}: a child of the JVM is never a group leader,
 * so {@code setsid} calls setsid(2) and execs the program without forking, and the pid we hold is
 * the id of the new group and session. {@link #start} checks this before it returns.
 */
public final class ProcessExecutor {
  private static final String SETSID =
      Files.isExecutable(Path.of("/usr/bin/setsid")) ? "/usr/bin/setsid" : "setsid";
  private static final Duration GROUP_CHECK_LIMIT = Duration.ofSeconds(5);
  private static final String STEP_RUN_ID = "NIGHTSHIFT_STEP_RUN_ID";

  /** Joins the cgroup whose cgroup.procs is $1 and shifts it away (on one line, no newline). */
  private static final String JOIN_FIRST =
      "echo $$ > \"$1\" || { echo \"nightshift: cannot join the step's cgroup $1\" >&2; exit 125; };"
          + " shift;";

  /** Joins the cgroup whose cgroup.procs is $1, then execs the step's argv. */
  private static final String JOIN = JOIN_FIRST + " exec \"$@\"";

  private static final String SHELL = "/bin/sh";

  private final Clock clock;
  private final Duration killGrace;
  private final StepEnvironment environment;
  private final Cgroups cgroups;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(new DaemonThreads("nightshift-step-"));
  private final ScheduledThreadPoolExecutor timers =
      new ScheduledThreadPoolExecutor(1, new DaemonThreads("nightshift-step-timer-"));

  /**
   * @param clock read for line timestamps and durations
   * @param killGrace how long a process group gets between SIGTERM and SIGKILL
   */
  public ProcessExecutor(Clock clock, Duration killGrace) {
    this(clock, killGrace, StepEnvironment.defaults());
  }

  /** Like the full constructor, with steps held by process group only. */
  public ProcessExecutor(Clock clock, Duration killGrace, StepEnvironment environment) {
    this(clock, killGrace, environment, Cgroups.none("not configured"));
  }

  /**
   * @param clock read for line timestamps and durations
   * @param killGrace how long a process group gets between SIGTERM and SIGKILL
   * @param environment what of the service's environment a step inherits (an allow-list)
   * @param cgroups where each step gets a cgroup of its own ({@link Cgroups#detect})
   */
  public ProcessExecutor(
      Clock clock, Duration killGrace, StepEnvironment environment, Cgroups cgroups) {
    this.cgroups = Objects.requireNonNull(cgroups, "cgroups");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.killGrace = Objects.requireNonNull(killGrace, "killGrace");
    this.environment = Objects.requireNonNull(environment, "environment");
    if (killGrace.isNegative() || killGrace.compareTo(Duration.ofDays(1)) > 0) {
      throw new IllegalArgumentException("killGrace must be between 0 and 1 day, got " + killGrace);
    }
    timers.setRemoveOnCancelPolicy(true);
  }

  /**
   * Starts the process and returns once it runs in its own process group. Blocks for the spawn
   * (about a millisecond): call it from a worker thread, not an event loop. Output goes to {@code
   * sink} as it arrives; the outcome completes after the process has exited, its group is empty and
   * its output has been read.
   *
   * @throws IOException if the work dir cannot be created or the process cannot be started (a
   *     program that does not exist is not this case: it fails with exit code 127 and a line on
   *     stderr, like in a shell)
   */
  /**
   * Kills the processes left in the cgroups of step run {@code stepRunId} (an attempt lost when an
   * earlier incarnation of this node stopped) and removes those cgroups.
   */
  public int killLeftovers(long stepRunId) {
    return cgroups.killLeftovers(stepRunId);
  }

  /** Step run ids whose cgroups an earlier incarnation of this node left ({@link Cgroups}). */
  public java.util.Set<Long> leftoverSteps() {
    return cgroups.leftoverSteps();
  }

  /** Removes this node's cgroup folder when no step cgroup is left in it. */
  public void close() {
    cgroups.close();
  }

  public StepProcess start(ProcessSpec spec, LineSink sink) throws IOException {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(sink, "sink");
    WorkDirs.ownerOnly(spec.workDir());
    Optional<StepCgroup> cgroup = cgroups.create(spec.env().get(STEP_RUN_ID));
    List<String> command = new ArrayList<>(spec.argv().size() + 6);
    command.add(SETSID);
    List<String> argv = spec.argv();
    if (cgroup.isPresent() && isShellCommand(argv)) {
      // A command step's own shell joins the cgroup first, on the script's first line, so its
      // line numbers, $0 ("/bin/sh") and $# (0, after the shift) stay those of `sh -c command`;
      // one exec fewer than the general case below. The path is an argument, not code.
      command.addAll(
          List.of(
              SHELL, "-c", JOIN_FIRST + " " + argv.get(2), SHELL, cgroup.get().procs().toString()));
    } else if (cgroup.isPresent()) {
      // The process joins the step's cgroup before the step's program runs (exec keeps the pid),
      // so nothing the step starts is ever outside it. The path is an argument, not code.
      command.addAll(
          List.of(SHELL, "-c", JOIN, "nightshift-join", cgroup.get().procs().toString()));
      command.addAll(argv);
    } else {
      command.addAll(argv);
    }
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(spec.workDir().toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    // Built from an allow-list, never inherited: the service's secrets stay out of the step.
    builder.environment().clear();
    builder.environment().putAll(environment.build(spec.env()));
    Transcript transcript =
        new Transcript(
            sink, clock, new LineFormat(spec.maxLineLength(), spec.secrets()), spec.maxLines());
    Instant started = clock.instant();
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      cgroup.ifPresent(StepCgroup::remove);
      throw e;
    }
    StepProcess step =
        new StepProcess(
            process,
            null,
            spec.timeout(),
            killGrace,
            transcript,
            clock,
            started,
            threads,
            timers,
            cgroup.orElse(null));
    step.readOutput();
    step.owned(awaitOwnGroup(process));
    step.begin();
    return step;
  }

  /** {@code [/bin/sh, -c, script]}: how a command step runs. */
  private static boolean isShellCommand(List<String> argv) {
    return argv.size() == 3 && SHELL.equals(argv.get(0)) && "-c".equals(argv.get(1));
  }

  /**
   * Waits (briefly: setsid runs right after exec) until the process leads its own group, and reads
   * its start time meanwhile. Returns null for the start time if the process was already gone.
   */
  private static String awaitOwnGroup(Process process) throws IOException {
    long pid = process.pid();
    long deadline = System.nanoTime() + GROUP_CHECK_LIMIT.toNanos();
    String startTicks = null;
    for (int spins = 0; ; spins++) {
      Optional<ProcessGroups.Stat> stat = ProcessGroups.stat(pid);
      if (stat.isPresent()) {
        startTicks = stat.get().startTicks();
        if (stat.get().pgrp() == pid && stat.get().session() == pid) {
          return startTicks;
        }
      }
      if (!process.isAlive()) {
        return startTicks;
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IOException(
            "process " + pid + " did not become the leader of its own process group");
      }
      // setsid runs after an exec, which takes a millisecond or more: wait with a growing pause
      // (0.1, 0.2, 0.4 ... 2 ms) instead of spinning on /proc, which cost more than the wait.
      LockSupport.parkNanos(
          TimeUnit.MICROSECONDS.toNanos(Math.min(2_000, 100L << Math.min(spins, 5))));
    }
  }
}
