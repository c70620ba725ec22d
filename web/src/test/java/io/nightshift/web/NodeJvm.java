package io.nightshift.web;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command that starts Nightshift's {@link Main} as a separate JVM, as tests do: the quick JIT
 * tier and the serial collector (they live seconds, and on a small machine running test JVMs side
 * by side the optimising compiler's and the parallel collector's threads cost more CPU than they
 * save), and the classes a node loads while starting shared from one archive ({@link
 * NodeClassArchive}).
 */
public final class NodeJvm {
  private NodeJvm() {}

  /** Options every such JVM gets, besides the class archive. */
  static final List<String> OPTIONS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  /** {@code java [options] -cp <the tests' class path> Main args...} */
  public static List<String> command(List<String> jvmOptions, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(OPTIONS);
    NodeClassArchive.Use archive = NodeClassArchive.use();
    command.addAll(archive.options());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", archive.classPath(), Main.class.getName()));
    command.addAll(List.of(args));
    return command;
  }

  /**
   * The tests' class path as a list of entries (in a surefire test JVM {@code java.class.path} is a
   * jar named per run whose manifest lists them).
   */
  static String testClassPath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }
}
