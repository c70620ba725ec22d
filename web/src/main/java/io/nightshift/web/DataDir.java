package io.nightshift.web;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The data directory (H2 files, token files) readable by the service's user only: the directory
 * mode 0700, the files in it 0600. H2 creates its files with the process umask, so the modes are
 * set again once the store is open.
 */
final class DataDir {
  private DataDir() {}

  /** Creates the directory if missing and makes it and the files directly in it owner-only. */
  static void secure(Path dir) {
    try {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path entry : entries) {
          if (Files.isRegularFile(entry, LinkOption.NOFOLLOW_LINKS)) {
            Files.setPosixFilePermissions(entry, PosixFilePermissions.fromString("rw-------"));
          } else if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
            Files.setPosixFilePermissions(entry, PosixFilePermissions.fromString("rwx------"));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot secure the data directory " + dir, e);
    }
  }
}
