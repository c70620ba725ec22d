package io.nightshift.web;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The cgroup folders ({@code nightshift-<local name>}) of the nodes a test JVM started, removed
 * when it exits. A node removes its own at a clean stop, but one a test killed for good cannot: its
 * step cgroups (and any process still in them, such as a step's {@code sleep}) would stay on the
 * machine after the tests. What is left in them is killed first; a folder that cannot be removed is
 * left as it is.
 */
final class NodeCgroups {
  private static final Path ROOT = Path.of("/sys/fs/cgroup");
  private static final Set<String> FOLDERS = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(NodeCgroups::removeAll, "nightshift-test-node-cgroups"));
  }

  private NodeCgroups() {}

  /** The cgroup folder of the node named {@code localName} goes when this JVM exits. */
  static void removeAtExit(String localName) {
    FOLDERS.add("nightshift-" + localName.replaceAll("[^A-Za-z0-9._-]", "_"));
  }

  private static void removeAll() {
    if (FOLDERS.isEmpty()) {
      return;
    }
    // The v1 freezer hierarchy or the v2 one; the folders sit under this JVM's own cgroup.
    Path hierarchy =
        Files.exists(ROOT.resolve("cgroup.controllers")) ? ROOT : ROOT.resolve("freezer");
    try (Stream<Path> dirs = Files.walk(hierarchy, 6)) {
      dirs.filter(dir -> FOLDERS.contains(String.valueOf(dir.getFileName())))
          .filter(Files::isDirectory)
          .toList()
          .forEach(NodeCgroups::remove);
    } catch (IOException | RuntimeException e) {
      // No such hierarchy here, or not readable: nothing of ours in it.
    }
  }

  private static void remove(Path folder) {
    List<Path> steps = new ArrayList<>();
    try (Stream<Path> children = Files.list(folder)) {
      children.filter(Files::isDirectory).forEach(steps::add);
    } catch (IOException e) {
      return;
    }
    List<java.util.concurrent.CompletableFuture<ProcessHandle>> ended = new ArrayList<>();
    for (Path step : steps) {
      thaw(step);
      for (long pid : pids(step)) {
        ProcessHandle.of(pid)
            .ifPresent(
                process -> {
                  process.destroyForcibly();
                  ended.add(process.onExit());
                });
      }
    }
    try {
      java.util.concurrent.CompletableFuture.allOf(
              ended.toArray(java.util.concurrent.CompletableFuture[]::new))
          .get(2, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      // One that did not end in time keeps its cgroup: left as it is.
    }
    steps.forEach(NodeCgroups::rmdir);
    rmdir(folder);
  }

  private static void thaw(Path cgroup) {
    try {
      if (Files.exists(cgroup.resolve("freezer.state"))) {
        Files.writeString(cgroup.resolve("freezer.state"), "THAWED");
      } else if (Files.exists(cgroup.resolve("cgroup.freeze"))) {
        Files.writeString(cgroup.resolve("cgroup.freeze"), "0");
      }
    } catch (IOException e) {
      // Killed processes of a frozen cgroup end once it thaws; left as it is if it cannot.
    }
  }

  private static List<Long> pids(Path cgroup) {
    try {
      return Files.readAllLines(cgroup.resolve("cgroup.procs")).stream()
          .filter(line -> !line.isBlank())
          .map(line -> Long.parseLong(line.trim()))
          .toList();
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }

  private static void rmdir(Path dir) {
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // Still in use: left as it is.
    }
  }
}
