package io.nightshift.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * Writes what each test class cost to {@code target/test-cpu.tsv}: its fork, when it started and
 * ended (epoch seconds), wall seconds, this test JVM's CPU seconds and the CPU of the child
 * processes it waited for (service JVMs, Chromium, step processes), so the suite's time can be
 * spent where it goes. A fork runs one class at a time, so the differences are the class's own.
 */
public final class ClassCpuListener implements TestExecutionListener {
  private static final Path OUT = Path.of("target", "test-cpu.tsv");
  private static final double TICKS = 100.0;

  /** Where each class (nested ones too) started: wall nanos, epoch millis, own and child CPU. */
  private final java.util.Map<String, double[]> started =
      new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  public void executionStarted(TestIdentifier test) {
    if (test.getSource().orElse(null) instanceof ClassSource) {
      started.put(
          test.getUniqueId(),
          new double[] {System.nanoTime(), System.currentTimeMillis(), ownCpu(), childCpu()});
    }
  }

  @Override
  public void executionFinished(TestIdentifier test, TestExecutionResult result) {
    double[] start = started.remove(test.getUniqueId());
    if (start != null && test.getSource().orElse(null) instanceof ClassSource source) {
      String line =
          String.format(
              Locale.ROOT,
              "%s\t%.1f\t%.1f\t%.1f\t%s\t%.1f\t%.1f%n",
              source.getClassName(),
              (System.nanoTime() - start[0]) / 1e9,
              ownCpu() - start[2],
              childCpu() - start[3],
              System.getProperty("nightshift.test.fork", "-"),
              start[1] / 1000.0,
              System.currentTimeMillis() / 1000.0);
      try {
        Files.createDirectories(OUT.getParent());
        Files.writeString(OUT, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static double ownCpu() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun
        ? sun.getProcessCpuTime() / 1e9
        : Double.NaN;
  }

  /** cutime + cstime of /proc/self/stat: children that ended and were waited for. */
  private static double childCpu() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(fields[13]) + Long.parseLong(fields[14])) / TICKS;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }
}
