package io.nightshift.executor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;

/**
 * A script step's body written to a file of its own under the work dir (mode 0700, readable only by
 * the service's user), to be run as {@code [interpreter, file]}. Parameters still reach it only as
 * environment variables; the body is written as it is.
 */
public record ScriptFile(Path path, String interpreter) {

  public ScriptFile {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(interpreter, "interpreter");
    if (interpreter.isBlank() || interpreter.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("interpreter must name a program");
    }
  }

  /**
   * Writes {@code body} (plus a final newline if it has none) to a new file {@code
   * nightshift-script-*.<ext>} in {@code workDir}, creating the dir if missing.
   */
  public static ScriptFile write(Path workDir, String interpreter, String body) throws IOException {
    Objects.requireNonNull(body, "body");
    WorkDirs.ownerOnly(workDir);
    String name = Path.of(interpreter).getFileName().toString().replaceAll("[^A-Za-z0-9]", "");
    Path file =
        Files.createTempFile(
            workDir,
            "nightshift-script-",
            "." + (name.isEmpty() ? "script" : name),
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    // The attribute above is subject to the umask; set the mode explicitly as well.
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
    String text = body.endsWith("\n") ? body : body + "\n";
    Files.writeString(file, text, StandardCharsets.UTF_8);
    return new ScriptFile(file, interpreter);
  }

  /** The argv that runs the script: {@code [interpreter, file]}. */
  public List<String> argv() {
    return List.of(interpreter, path.toAbsolutePath().toString());
  }

  /** Removes the file; quietly does nothing if it is already gone. */
  public void delete() throws IOException {
    Files.deleteIfExists(path);
  }
}
