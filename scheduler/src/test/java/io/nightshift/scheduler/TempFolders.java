package io.nightshift.scheduler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Folders in the system temp dir for tests, none left behind: each one {@link #create} makes, or
 * {@link #deleteAtExit} is given, is deleted with everything in it when the test JVM exits, unless
 * {@link #delete} removed it sooner. A test that needs a folder only while it runs should prefer
 * JUnit's {@code @TempDir}.
 */
public final class TempFolders {
  private static final Set<Path> AT_EXIT = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> AT_EXIT.forEach(TempFolders::deleteTree), "nightshift-test-temp-folders"));
  }

  private TempFolders() {}

  /** A new folder {@code <temp dir>/<prefix><random>}, deleted at the latest when the JVM exits. */
  public static Path create(String prefix) {
    try {
      return deleteAtExit(Files.createTempDirectory(prefix));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new empty file {@code <temp dir>/<prefix><random>}, deleted at the latest at JVM exit. */
  public static Path createFile(String prefix) {
    try {
      return deleteAtExit(Files.createTempFile(prefix, ""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes {@code path} (a folder with everything in it, or a file) when the JVM exits. */
  public static Path deleteAtExit(Path path) {
    AT_EXIT.add(path.toAbsolutePath().normalize());
    return path;
  }

  /** Deletes {@code path} and everything in it now; what cannot be deleted is tried at exit. */
  public static void delete(Path path) {
    Path absolute = path.toAbsolutePath().normalize();
    if (deleteTree(absolute)) {
      AT_EXIT.remove(absolute);
    }
  }

  /** Deletes a file or a folder tree without following links; whether nothing is left. */
  private static boolean deleteTree(Path path) {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return true;
    }
    try (Stream<Path> paths = Files.walk(path)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
      return true;
    } catch (IOException | UncheckedIOException e) {
      return false;
    }
  }
}
