package io.nightshift.scheduler.run;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * directory) until they are recorded: a node stopped or killed meanwhile records them at its next
 * start instead of failing those attempts as "executor lost". Each file is written to a temporary
 * name and moved into place, so a crash leaves a whole file or none.
 */
final class StepEndJournal {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);
  private static final String SUFFIX = ".end";

  private final Path dir;

  StepEndJournal(Path dir) {
    this.dir = dir;
  }

  /** Keeps {@code end} of attempt {@code stepRunId}; false (logged) when it cannot be written. */
  boolean keep(long stepRunId, Attempts.EndReport end) {
    Properties p = new Properties();
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
      Path tmp = dir.resolve(stepRunId + SUFFIX + ".tmp");
      try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(out, "end of step run " + stepRunId + ", waiting for the database");
      }
      try {
        Files.move(
            tmp,
            file(stepRunId),
            StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file(stepRunId), StandardCopyOption.REPLACE_EXISTING);
      }
      return true;
    } catch (IOException | RuntimeException e) {
      log.warn(
          "step run {}: cannot keep its end on disk in {} (it is lost if this node stops before"
              + " the database is back): {}",
          stepRunId,
          dir,
          e.toString());
      return false;
    }
  }

  /** The end kept for attempt {@code stepRunId}, if any (an unreadable file is logged, skipped). */
  Optional<Attempts.EndReport> find(long stepRunId) {
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file(stepRunId), StandardCharsets.UTF_8)) {
      p.load(in);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file(stepRunId), e);
    }
    try {
      String exitCode = p.getProperty("exitCode");
      return Optional.of(
          new Attempts.EndReport(
              StepStatus.valueOf(p.getProperty("status")),
              exitCode == null ? null : Integer.valueOf(exitCode),
              p.getProperty("error"),
              Long.parseLong(p.getProperty("lines", "0")),
              Long.parseLong(p.getProperty("dropped", "0")),
              Instant.parse(p.getProperty("at"))));
    } catch (RuntimeException e) {
      log.warn("step run {}: its kept end {} is unreadable: {}", stepRunId, file(stepRunId), e);
      return Optional.empty();
    }
  }

  /** Forgets the end kept for {@code stepRunId} (it was recorded, or is no longer wanted). */
  void drop(long stepRunId) {
    try {
      Files.deleteIfExists(file(stepRunId));
    } catch (IOException e) {
      log.warn("step run {}: cannot delete its kept end {}: {}", stepRunId, file(stepRunId), e);
    }
  }

  /** The attempts whose ends are kept. */
  List<Long> kept() {
    List<Long> ids = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return ids;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        try {
          ids.add(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())));
        } catch (NumberFormatException e) {
          log.warn("{} is not a kept step end: left alone", f);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    return ids;
  }

  private Path file(long stepRunId) {
    return dir.resolve(stepRunId + SUFFIX);
  }
}
