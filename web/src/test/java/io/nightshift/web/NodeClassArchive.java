package io.nightshift.web;

import io.nightshift.scheduler.TempFolders;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A class data sharing archive (JDK 17's dynamic AppCDS) of the classes a node loads while it
 * starts, for the node JVMs tests start: such a start costs about 2.2 s of CPU instead of 3.6 s
 * (measured on this project's 2-core machine), and a test suite starts a few dozen.
 *
 * <p>The JDK archives classes from jars only and refuses to make an archive while a non-empty
 * directory is on the class path, so the class path's directories (the modules' compiled classes)
 * are packed into jars first, in the class path's order: a node loads the same classes and
 * resources as before. The first test JVM that needs it packs them, starts a node once on H2 with
 * {@code -XX:ArchiveClassesAtExit} and stops it; the other test JVMs wait for that (a file lock)
 * and use the same. Its folder is named by a digest of the JDK, the class path and the size and
 * time of every file on it, so a rebuilt class gets a new one and a stale archive is never offered.
 * If making it fails, nodes start from the class path as it is, without an archive, as before; the
 * failure is printed, and the test JVMs that start within 10 minutes do not try again. A folder is
 * removed only when no test JVM took it for an hour and none running holds it (a shared lock each
 * holds). {@code -Dnightshift.noNodeClassArchive=true} starts them so too (to compare).
 */
final class NodeClassArchive {
  static final Path ROOT = Path.of("target", "node-class-archive");

  /** The JVM options and class path of a node JVM. */
  record Use(List<String> options, String classPath) {}

  private static Use use;

  private NodeClassArchive() {}

  /** The archive and packed class path (made first if needed), or the class path as it is. */
  static synchronized Use use() {
    if (use == null) {
      use = ensure();
    }
    return use;
  }

  private static Use ensure() {
    List<String> entries = List.of(NodeJvm.testClassPath().split(File.pathSeparator));
    Use plain = new Use(List.of(), String.join(File.pathSeparator, entries));
    if (Boolean.getBoolean("nightshift.noNodeClassArchive")) {
      return plain;
    }
    try {
      Path dir = ROOT.resolve(digest(entries)).toAbsolutePath();
      Path archive = dir.resolve("node.jsa");
      Path failed = dir.resolve("failed.txt");
      Files.createDirectories(ROOT);
      try (FileChannel channel =
              FileChannel.open(
                  ROOT.resolve("making.lock"),
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE);
          FileLock lock = channel.lock()) {
        if (!Files.exists(archive)) {
          removeOthers(dir);
        }
        if (Files.exists(failed)
            && Files.getLastModifiedTime(failed)
                .toInstant()
                .isAfter(java.time.Instant.now().minus(Duration.ofMinutes(10)))) {
          // Another test JVM of this build tried and failed just now: not tried by every one.
          System.err.println(
              "node class archive not made, nodes start without one: " + Files.readString(failed));
          return plain;
        }
        String classPath = packed(entries, dir);
        holdInUse(dir);
        if (!Files.exists(archive)) {
          try {
            make(archive, classPath);
          } catch (IOException | RuntimeException e) {
            Files.writeString(failed, e.toString());
            throw e;
          }
        }
        Files.setLastModifiedTime(dir, FileTime.from(java.time.Instant.now()));
        return new Use(List.of("-XX:SharedArchiveFile=" + archive), classPath);
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("node class archive not made, nodes start without one: " + e);
      return plain;
    }
  }

  /** Held (shared) from the first use of an archive folder until this JVM exits. */
  private static FileLock inUse;

  private static final String IN_USE = "in-use.lock";

  /**
   * Takes a shared lock on {@code dir}'s lock file for the rest of this JVM's life: while any test
   * JVM uses the folder's archive and jars, no other one removes it ({@link #removeOthers}).
   */
  private static void holdInUse(Path dir) throws IOException {
    FileChannel channel =
        FileChannel.open(
            dir.resolve(IN_USE),
            StandardOpenOption.CREATE,
            StandardOpenOption.READ,
            StandardOpenOption.WRITE);
    inUse = channel.lock(0, Long.MAX_VALUE, true);
  }

  /**
   * Removes the archives of earlier builds that no test JVM took for {@link #UNUSED} (each one
   * taken is touched) and that no running test JVM holds ({@link #holdInUse}): a build of another
   * class path running at the same time in this checkout keeps its own.
   */
  private static void removeOthers(Path dir) throws IOException {
    java.time.Instant before = java.time.Instant.now().minus(UNUSED);
    try (Stream<Path> folders = Files.list(ROOT)) {
      folders
          .filter(Files::isDirectory)
          .filter(folder -> !folder.toAbsolutePath().equals(dir))
          .filter(folder -> lastTaken(folder).isBefore(before))
          .forEach(NodeClassArchive::removeUnheld);
    }
  }

  /** Removes {@code folder} unless a test JVM holds it; the lock is kept while it is removed. */
  private static void removeUnheld(Path folder) {
    Path lockFile = folder.resolve(IN_USE);
    if (!Files.exists(lockFile)) {
      TempFolders.delete(folder);
      return;
    }
    try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
        FileLock unused = channel.tryLock()) {
      if (unused != null) {
        TempFolders.delete(folder);
      }
    } catch (IOException e) {
      System.err.println("node class archive " + folder + " not removed: " + e);
    }
  }

  private static final Duration UNUSED = Duration.ofHours(1);

  private static java.time.Instant lastTaken(Path folder) {
    try {
      return Files.getLastModifiedTime(folder).toInstant();
    } catch (IOException gone) {
      return java.time.Instant.MAX;
    }
  }

  /** The class path with each directory replaced by a jar of it, packed into {@code dir}. */
  private static String packed(List<String> entries, Path dir) throws IOException {
    Files.createDirectories(dir);
    List<String> packed = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      Path entry = Path.of(entries.get(i));
      if (!Files.isDirectory(entry)) {
        packed.add(entries.get(i));
        continue;
      }
      Path jar = dir.resolve(i + "-" + entry.getFileName() + ".jar");
      if (!Files.exists(jar)) {
        pack(entry, jar);
      }
      packed.add(jar.toString());
    }
    return String.join(File.pathSeparator, packed);
  }

  private static void pack(Path folder, Path jar) throws IOException {
    Path partial = jar.resolveSibling(jar.getFileName() + ".partial");
    try (OutputStream file = Files.newOutputStream(partial);
        JarOutputStream out = new JarOutputStream(file);
        Stream<Path> paths = Files.walk(folder)) {
      for (Path path : (Iterable<Path>) paths.sorted()::iterator) {
        String name = folder.relativize(path).toString().replace(File.separatorChar, '/');
        if (name.isEmpty()) {
          continue;
        }
        boolean directory = Files.isDirectory(path);
        out.putNextEntry(new JarEntry(directory ? name + "/" : name));
        if (!directory) {
          Files.copy(path, out);
        }
        out.closeEntry();
      }
    }
    Files.move(partial, jar, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Starts a node on H2 that dumps the classes it loaded when it stops, then stops it. */
  private static void make(Path archive, String classPath) throws IOException {
    Path dir = TempFolders.create("nightshift-class-archive-");
    Path partial = archive.resolveSibling(archive.getFileName() + ".partial");
    try {
      Path config = dir.resolve("nightshift.yaml");
      Files.writeString(
          config,
          "dataDir: data\nhttp:\n  port: 0\ndb:\n  url: \"jdbc:h2:file:./data/ns;MODE=MySQL;"
              + "DATABASE_TO_LOWER=TRUE;CASE_INSENSITIVE_IDENTIFIERS=TRUE\"\n");
      Path log = dir.resolve("node.log");
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(NodeJvm.OPTIONS);
      command.add("-XX:ArchiveClassesAtExit=" + partial);
      command.addAll(
          List.of("-cp", classPath, Main.class.getName(), "--config", config.toString()));
      Process node =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      boolean stopped;
      try {
        Awaitility.await()
            .atMost(Duration.ofSeconds(120))
            .until(
                () -> {
                  if (!node.isAlive()) {
                    throw new IllegalStateException("node exited: " + Files.readString(log));
                  }
                  return Files.readString(log).contains("nightshift: ready on");
                });
      } finally {
        node.destroy(); // a clean stop: the JVM writes the archive as it exits
        stopped = node.waitFor(60, TimeUnit.SECONDS);
        if (!stopped) {
          node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
      if (!stopped) {
        throw new IllegalStateException("the node did not stop within 60 s");
      }
      if (!Files.exists(partial)) {
        throw new IllegalStateException("no archive written: " + Files.readString(log));
      }
      Files.move(partial, archive, StandardCopyOption.ATOMIC_MOVE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      Files.deleteIfExists(partial);
      TempFolders.delete(dir);
    }
  }

  /** The JDK, the class path, and the path, size and time of each file on it. */
  private static String digest(List<String> entries) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    sha.update(System.getProperty("java.home").getBytes(StandardCharsets.UTF_8));
    for (String entry : entries) {
      Path root = Path.of(entry);
      if (!Files.exists(root)) {
        continue;
      }
      try (Stream<Path> paths = Files.walk(root)) {
        for (Path path : (Iterable<Path>) paths.filter(Files::isRegularFile).sorted()::iterator) {
          String line =
              "\n" + path + " " + Files.size(path) + " " + Files.getLastModifiedTime(path);
          sha.update(line.getBytes(StandardCharsets.UTF_8));
        }
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }
    return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
  }
}
