package io.nightshift.executor;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;

/**
 * The work directories of runs under one root ({@code executor.workDir}): {@code root/runs/<id>},
 * each mode 0700 like the root, created before a run's first process step and deleted after the
 * run.
 */
public record WorkDirs(Path root) {
  static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

  public WorkDirs {
    root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
  }

  /** The folder of every run's directory (not created). */
  public Path runs() {
    return root.resolve("runs");
  }

  /** The directory of run {@code runId} (not created). */
  public Path of(long runId) {
    return runs().resolve(Long.toString(runId));
  }

  /** Creates (if missing) the run's directory and its parents, each mode 0700. */
  public Path create(long runId) throws IOException {
    Path dir = of(runId);
    ownerOnly(root);
    ownerOnly(dir.getParent());
    ownerOnly(dir);
    return dir;
  }

  /** The runs that have a directory here, by id (none when there is no {@code runs} folder). */
  public java.util.List<Long> runIds() throws IOException {
    Path runs = runs();
    if (!Files.isDirectory(runs)) {
      return java.util.List.of();
    }
    java.util.List<Long> ids = new java.util.ArrayList<>();
    try (var dirs = Files.list(runs)) {
      for (Path dir : (Iterable<Path>) dirs::iterator) {
        String name = dir.getFileName().toString();
        if (name.matches("[0-9]{1,18}")) {
          ids.add(Long.parseLong(name));
        }
      }
    }
    return ids;
  }

  /** Deletes the run's directory and everything in it; nothing happens if it is gone. */
  public void delete(long runId) throws IOException {
    deleteTree(of(runId));
  }

  /**
   * Removes the root if nothing is left in it but an empty {@code runs} folder (a clean shutdown
   * after every run's directory was deleted); a root holding anything else stays as it is.
   *
   * @return whether the root is gone
   */
  public boolean deleteRootIfEmpty() throws IOException {
    try {
      Files.deleteIfExists(runs());
      Files.deleteIfExists(root);
      return true;
    } catch (DirectoryNotEmptyException e) {
      return false;
    }
  }

  /** Creates {@code dir} if missing (with its parents) and makes it mode 0700. */
  public static void ownerOnly(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, OWNER_ONLY);
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.deleteIfExists(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
