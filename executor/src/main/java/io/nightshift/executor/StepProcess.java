package io.nightshift.executor;

import io.nightshift.executor.Outcome.Status;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running step process and its process group. Created by {@link ProcessExecutor#start}.
 *
 * <p>The outcome is decided once: by {@link #cancel()} (CANCELED) or the timeout (TIMED_OUT) if
 * either comes before the main process exits, else by the exit code. Either way, whatever is left
 * in the group is killed (SIGTERM, SIGKILL after the grace) before the outcome completes.
 */
public final class StepProcess {
  private static final Logger log = LoggerFactory.getLogger(StepProcess.class);
  private static final Duration POLL = Duration.ofMillis(20);
  private static final Duration MIN_OUTPUT_IDLE = Duration.ofSeconds(1);
  private static final Duration AFTER_KILL_LIMIT = Duration.ofSeconds(5);

  private final Process process;
  private final long pid;
  private volatile String startTicks;
  private CompletableFuture<Void> out;
  private CompletableFuture<Void> err;
  private final Duration timeout;
  private final Duration killGrace;
  private final Transcript transcript;
  private final Clock clock;
  private final Instant started;
  private final ExecutorService threads;
  private final ScheduledExecutorService timers;
  private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
  private final AtomicReference<Status> verdict = new AtomicReference<>();
  private final AtomicBoolean termSent = new AtomicBoolean();
  private final AtomicBoolean killSent = new AtomicBoolean();
  private final AtomicInteger busyReaders = new AtomicInteger();
  private volatile long termSentNanos;
  private volatile long lastOutputNanos = System.nanoTime();
  private volatile ScheduledFuture<?> timeoutTask;
  private final StepCgroup cgroup;

  StepProcess(
      Process process,
      String startTicks,
      Duration timeout,
      Duration killGrace,
      Transcript transcript,
      Clock clock,
      Instant started,
      ExecutorService threads,
      ScheduledExecutorService timers,
      StepCgroup cgroup) {
    this.cgroup = cgroup;
    this.process = process;
    this.pid = process.pid();
    this.startTicks = startTicks;
    this.timeout = timeout;
    this.killGrace = killGrace;
    this.transcript = transcript;
    this.clock = clock;
    this.started = started;
    this.threads = threads;
    this.timers = timers;
  }

  /** The main process's pid. */
  public long pid() {
    return pid;
  }

  /** The id of the step's process group (and session); equal to {@link #pid()}. */
  public long processGroup() {
    return pid;
  }

  /**
   * Field 22 of {@code /proc/<pid>/stat} (start time in clock ticks since boot), which with the pid
   * recognises this process after a restart; null if the process ended before it could be read.
   */
  public String startTicks() {
    return startTicks;
  }

  /** Completes once the process has exited, its group is empty and all its lines are delivered. */
  public CompletableFuture<Outcome> outcome() {
    return outcome;
  }

  /**
   * Kills the whole process group (SIGTERM, SIGKILL after the grace) and makes the outcome
   * CANCELED. Does nothing if the process has already exited or the step already timed out.
   */
  public void cancel() {
    stop(Status.CANCELED, "canceled");
  }

  /**
   * Stops the step as {@link #cancel()} does, for {@code why} (what its log says: "node drained",
   * not "canceled").
   */
  public void stop(String why) {
    stop(Status.CANCELED, why);
  }

  @Override
  public String toString() {
    return "StepProcess[pid=" + pid + ", startTicks=" + startTicks + "]";
  }

  /**
   * Starts reading stdout and stderr: called right after the process starts, because lines that
   * wait in the two pipes before a reader takes them lose their order across the pipes.
   */
  void readOutput() {
    out = CompletableFuture.runAsync(() -> read(process.getInputStream(), LogLine.STDOUT), threads);
    err = CompletableFuture.runAsync(() -> read(process.getErrorStream(), LogLine.STDERR), threads);
  }

  /** The start time read once the process leads its own group (null if it was already gone). */
  void owned(String startTicks) {
    this.startTicks = startTicks;
  }

  /** Arms the timeout and waits for the end; after {@link #readOutput()}. */
  void begin() {
    if (timeout != null) {
      timeoutTask =
          timers.schedule(
              () -> stop(Status.TIMED_OUT, timedOut()), timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
    threads.execute(() -> finish(out, err));
  }

  private String timedOut() {
    return "timed out after " + Durations.human(timeout);
  }

  private void read(InputStream in, String stream) {
    LineSplitter splitter =
        new LineSplitter(
            transcript.keep(), (kept, overflow) -> transcript.output(stream, kept, overflow));
    byte[] buffer = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buffer)) != -1) {
        busyReaders.incrementAndGet();
        try {
          splitter.feed(buffer, 0, n);
        } finally {
          lastOutputNanos = System.nanoTime();
          busyReaders.decrementAndGet();
        }
      }
    } catch (IOException e) {
      log.debug("{} of process {} closed: {}", stream, pid, e.toString());
    } finally {
      splitter.finish();
    }
  }

  /**
   * Decides the outcome at once (so a cancel is never followed by SUCCEEDED), then signals the
   * group on a pool thread: cancel may be called from an event loop, and running kill blocks.
   */
  private void stop(Status status, String why) {
    if (!verdict.compareAndSet(null, status)) {
      return;
    }
    threads.execute(
        () -> {
          transcript.system(why + "; sending TERM to process group " + pid);
          sendTerm();
          timers.schedule(
              () -> threads.execute(this::killIfStillRunning),
              killGrace.toMillis(),
              TimeUnit.MILLISECONDS);
        });
  }

  private void killIfStillRunning() {
    if (!outcome.isDone() && left() > 0) {
      sendKill();
    }
  }

  private void sendTerm() {
    if (termSent.compareAndSet(false, true)) {
      termSentNanos = System.nanoTime();
      ProcessGroups.signal(pid, "TERM");
      if (cgroup != null) {
        cgroup.signal("TERM");
      }
    }
  }

  private void sendKill() {
    if (killSent.compareAndSet(false, true)) {
      transcript.system(
          "process group "
              + pid
              + " still running "
              + Durations.human(killGrace)
              + " after TERM; sending KILL");
      ProcessGroups.signal(pid, "KILL");
      if (cgroup != null) {
        cgroup.killAll();
      }
    }
  }

  private void finish(CompletableFuture<Void> out, CompletableFuture<Void> err) {
    Integer exitCode = null;
    try {
      exitCode = waitForExit();
      ScheduledFuture<?> task = timeoutTask;
      if (task != null) {
        task.cancel(false);
      }
      verdict.compareAndSet(null, exitCode == 0 ? Status.SUCCEEDED : Status.FAILED);
      emptyGroup();
      if (cgroup != null) {
        cgroup.remove();
      }
      awaitOutput(out, err);
      transcript.close();
      Status status = verdict.get();
      outcome.complete(
          new Outcome(
              status,
              exitCode,
              error(status, exitCode),
              Durations.between(started, clock.instant()),
              transcript.lines(),
              transcript.dropped()));
    } catch (RuntimeException e) {
      log.error("step process {} could not be finished cleanly", pid, e);
      transcript.close();
      outcome.complete(
          new Outcome(
              Status.FAILED,
              exitCode,
              "executor error: " + e,
              Durations.between(started, clock.instant()),
              transcript.lines(),
              transcript.dropped()));
    } finally {
      if (!outcome.isDone()) {
        outcome.completeExceptionally(new IllegalStateException("step process " + pid + " lost"));
      }
    }
  }

  private String error(Status status, int exitCode) {
    return switch (status) {
      case SUCCEEDED -> null;
      case FAILED -> "exit code " + exitCode;
      case TIMED_OUT -> timedOut();
      case CANCELED -> "canceled";
    };
  }

  private int waitForExit() {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return process.waitFor();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Nothing runs unowned: what the step left in its group gets TERM, then KILL after the grace. */
  private void emptyGroup() {
    int left = left();
    if (left == 0) {
      return;
    }
    if (!termSent.get()) {
      transcript.system(
          "the step's main process ended and left "
              + left
              + (left == 1 ? " process" : " processes")
              + " in process group "
              + pid
              + "; sending TERM");
    }
    sendTerm();
    long killAt = termSentNanos + killGrace.toNanos();
    if (waitUntilEmpty(killAt)) {
      return;
    }
    sendKill();
    if (!waitUntilEmpty(System.nanoTime() + AFTER_KILL_LIMIT.toNanos())) {
      transcript.system("process group " + pid + " survived KILL");
      log.warn("process group {} survived SIGKILL", pid);
    }
  }

  private boolean waitUntilEmpty(long deadlineNanos) {
    while (true) {
      if (left() == 0) {
        return true;
      }
      if (System.nanoTime() - deadlineNanos >= 0) {
        return false;
      }
      LockSupport.parkNanos(POLL.toNanos());
    }
  }

  /**
   * How many of the step's processes are alive: with a cgroup, everything in it (its process group
   * is in it too: only the step's descendants can join the group of its session, and they all start
   * in the cgroup); without one, the members of its process group, found by a scan of {@code /proc}
   * (which costs a read of every process's stat at every step's end on a busy host).
   */
  private int left() {
    return cgroup != null ? cgroup.pids().size() : ProcessGroups.members(pid).size();
  }

  /**
   * Waits for stdout and stderr to reach EOF. A process that left the group (its own setsid) may
   * still hold them open: once no output came for a while, stop waiting and say so.
   */
  private void awaitOutput(CompletableFuture<Void> out, CompletableFuture<Void> err) {
    CompletableFuture<Void> both = CompletableFuture.allOf(out, err);
    long idleLimit = Math.max(killGrace.toNanos(), MIN_OUTPUT_IDLE.toNanos());
    while (true) {
      try {
        both.get(POLL.toMillis(), TimeUnit.MILLISECONDS);
        return;
      } catch (TimeoutException e) {
        if (busyReaders.get() == 0 && System.nanoTime() - lastOutputNanos > idleLimit) {
          transcript.system(
              "stopped reading output: a process outside group " + pid + " still holds it open");
          return;
        }
      } catch (ExecutionException e) {
        log.warn("reading output of process {} failed", pid, e.getCause());
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
