package io.nightshift.scheduler.store;

import io.nightshift.scheduler.audit.AuditLog;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.jooq.DSLContext;
import org.jooq.impl.DSL;

/**
 * A consistent copy of the embedded store taken while the node runs (H2's {@code BACKUP TO}: a zip
 * of the database file, written while writes go on). Restored by stopping the node and unzipping it
 * where the database file is. A MySQL/MariaDB store is backed up with its own tools.
 */
public final class EmbeddedBackup {
  private static final DateTimeFormatter NAME =
      DateTimeFormatter.ofPattern("'nightshift-'yyyyMMdd-HHmmss'Z.zip'").withZone(ZoneOffset.UTC);

  private final DSLContext dsl;
  private final Path folder;

  /** {@code folder}: where backups go (created, mode 0700, at the first one). */
  public EmbeddedBackup(DSLContext dsl, Path folder) {
    this.dsl = dsl;
    this.folder = folder;
  }

  /** A backup written, and the time it is named after. */
  public record Written(Path file, long bytes, Instant at) {}

  /**
   * Writes a backup named after {@code now} (a second later if that name is taken, by another
   * backup in the same second) and an audit record of it by {@code actor}.
   */
  public Written write(Instant now, String actor) {
    try {
      if (!Files.isDirectory(folder)) {
        Files.createDirectories(folder);
        Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwx------"));
      }
      Instant at = now;
      Path file = reserve(at);
      while (file == null) {
        at = at.plusSeconds(1);
        file = reserve(at);
      }
      // The name is made here, never taken from a request; inline() quotes it all the same. The
      // file exists already (mode 0600): the store's copy goes into it, never readable by others.
      dsl.execute("BACKUP TO {0}", DSL.inline(file.toAbsolutePath().toString()));
      Written written = new Written(file.toAbsolutePath(), Files.size(file), at);
      AuditLog.write(
          dsl,
          now,
          actor,
          "store.backup",
          "store",
          "embedded",
          new JsonObject().put("file", written.file().toString()).put("bytes", written.bytes()));
      return written;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a backup under " + folder, e);
    }
  }

  /** Creates the file named after {@code at}, mode 0600; null when it exists already. */
  private Path reserve(Instant at) throws IOException {
    Path file = folder.resolve(NAME.format(at));
    try {
      return Files.createFile(
          file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (java.nio.file.FileAlreadyExistsException e) {
      return null;
    }
  }
}
