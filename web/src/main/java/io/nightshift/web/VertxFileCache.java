package io.nightshift.web;

import io.vertx.core.file.FileSystemOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Where Vert.x extracts the files it serves from the jar (console, API reference): {@code
 * vertx-cache} in the data directory, not a new {@code vertx-cache-<uuid>} in the temp dir per
 * start. Vert.x deletes it when the node stops; one a killed node left is deleted at the next
 * start, so crashes do not pile up copies.
 */
final class VertxFileCache {
  static final String NAME = "vertx-cache";

  private VertxFileCache() {}

  /** File system options with the cache in {@code dataDir}, after deleting a leftover one. */
  static FileSystemOptions in(Path dataDir) {
    Path dir = dataDir.toAbsolutePath().normalize().resolve(NAME);
    deleteLeftover(dir);
    return new FileSystemOptions().setFileCacheDir(dir.toString()).setFileCacheDirAsExactPath(true);
  }

  private static void deleteLeftover(Path dir) {
    if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the leftover file cache " + dir, e);
    }
  }
}
