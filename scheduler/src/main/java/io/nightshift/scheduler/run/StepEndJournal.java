package io.nightshift.scheduler.run;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ends of attempts this node could not record because the database was unreachable, kept on
 * disk (one small file per attempt, {@code <stepRunId>.end} in the node's own folder of its data
 * directory, mode 0600) until they are recorded: a node stopped or killed meanwhile records them at
 * its next start instead of failing those attempts as "executor lost". Each file names its run,
 * step and attempt (an end is applied only to the attempt it belongs to), is written to a temporary
 * name, forced to disk and moved into place, so a crash leaves a whole file or none.
 */
final class StepEndJournal {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);
  private static final String SUFFIX = ".end";
  private static final String UNFINISHED = ".end.tmp";

  private final Path dir;

  StepEndJournal(Path dir) {
    this.dir = dir;
  }

  /** Keeps {@code end} of attempt {@code step}; false (logged) when it cannot be written. */
  boolean keep(StepRun step, EndReport end) {
    Properties p = new Properties();
    p.setProperty("runId", String.valueOf(step.runId()));
    p.setProperty("step", step.name());
    p.setProperty("attempt", String.valueOf(step.attempt()));
    p.setProperty("status", end.to().name());
    if (end.exitCode() != null) {
      p.setProperty("exitCode", String.valueOf(end.exitCode()));
    }
    if (end.error() != null) {
      p.setProperty("error", end.error());
    }
    p.setProperty("lines", String.valueOf(end.lines()));
    p.setProperty("dropped", String.valueOf(end.dropped()));
    p.setProperty("at", end.at().toString());
    try {
      io.nightshift.executor.WorkDirs.ownerOnly(dir);
      StringWriter text = new StringWriter();
      p.store(text, "end of step run " + step.id() + ", waiting for the database");
      Path tmp = dir.resolve(step.id() + UNFINISHED);
      Files.deleteIfExists(tmp);
      try (FileChannel out =
          FileChannel.open(
              tmp,
              java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        out.write(ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8)));
        out.force(true);
      }
      try {
        Files.move(
            tmp,
            file(step.id()),
            StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file(step.id()), StandardCopyOption.REPLACE_EXISTING);
      }
      try (FileChannel folder = FileChannel.open(dir, StandardOpenOption.READ)) {
        folder.force(true);
      } catch (IOException | RuntimeException notSupported) {
        // Not every file system syncs a directory; the file itself is on disk.
      }
      return true;
    } catch (IOException | RuntimeException e) {
      log.warn(
          "step run {}: cannot keep its end on disk in {} (it is lost if this node stops before"
              + " the database is back): {}",
          step.id(),
          dir,
          e.toString());
      return false;
    }
  }

  /**
   * The end kept for attempt {@code step}, if any; a file that cannot be read, or that names
   * another run, step or attempt, is logged and left out.
   */
  Optional<EndReport> find(StepRun step) {
    Properties p = new Properties();
    try {
      p.load(new StringReader(Files.readString(file(step.id()), StandardCharsets.UTF_8)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      log.warn(
          "step run {}: cannot read its kept end {}: {}", step.id(), file(step.id()), e.toString());
      return Optional.empty();
    }
    try {
      if (Long.parseLong(p.getProperty("runId")) != step.runId()
          || !step.name().equals(p.getProperty("step"))
          || Integer.parseInt(p.getProperty("attempt")) != step.attempt()) {
        log.warn(
            "step run {}: its kept end {} names run {} step {} attempt {}: not applied",
            step.id(),
            file(step.id()),
            p.getProperty("runId"),
            p.getProperty("step"),
            p.getProperty("attempt"));
        return Optional.empty();
      }
      String exitCode = p.getProperty("exitCode");
      return Optional.of(
          new EndReport(
              StepStatus.valueOf(p.getProperty("status")),
              exitCode == null ? null : Integer.valueOf(exitCode),
              p.getProperty("error"),
              Long.parseLong(p.getProperty("lines", "0")),
              Long.parseLong(p.getProperty("dropped", "0")),
              Instant.parse(p.getProperty("at"))));
    } catch (RuntimeException e) {
      log.warn(
          "step run {}: its kept end {} is unreadable: {}",
          step.id(),
          file(step.id()),
          e.toString());
      return Optional.empty();
    }
  }

  /** Whether an end is kept for {@code stepRunId}. */
  boolean holds(long stepRunId) {
    return Files.exists(file(stepRunId));
  }

  /** Forgets the end kept for {@code stepRunId} (it was recorded, or is no longer wanted). */
  void drop(long stepRunId) {
    try {
      Files.deleteIfExists(file(stepRunId));
    } catch (IOException e) {
      log.warn(
          "step run {}: cannot delete its kept end {}: {}",
          stepRunId,
          file(stepRunId),
          e.toString());
    }
  }

  /**
   * The attempts whose ends are kept; files a crash left half written are deleted (their end was
   * never kept). Empty, logged, when the folder cannot be read.
   */
  List<Long> kept() {
    List<Long> ids = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return ids;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.endsWith(UNFINISHED)) {
          Files.deleteIfExists(f);
        } else if (name.endsWith(SUFFIX)) {
          try {
            ids.add(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())));
          } catch (NumberFormatException e) {
            log.warn("{} is not a kept step end: left alone", f);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("cannot read the kept step ends in {}: {}", dir, e.toString());
    }
    return ids;
  }

  private Path file(long stepRunId) {
    return dir.resolve(stepRunId + SUFFIX);
  }
}
