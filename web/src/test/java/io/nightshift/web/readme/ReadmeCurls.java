package io.nightshift.web.readme;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The curl commands of the README's {@code bash} code blocks, in order, as written (with their
 * continued lines): read at test time, so that a change to the README is what gets tested.
 */
final class ReadmeCurls {
  private ReadmeCurls() {}

  /** The project's README.md, found from the module's working directory upwards. */
  static Path readme() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path candidate = dir.resolve("README.md");
      if (Files.exists(candidate) && Files.exists(dir.resolve("CONTRIBUTING.md"))) {
        return candidate;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException("README.md not found above " + Path.of("").toAbsolutePath());
  }

  static List<String> commands(Path readme) throws IOException {
    List<String> out = new ArrayList<>();
    boolean inBash = false;
    StringBuilder pending = null;
    for (String line : Files.readAllLines(readme)) {
      if (line.startsWith("```")) {
        inBash = line.equals("```bash");
        continue;
      }
      if (!inBash) {
        continue;
      }
      String text = line.strip();
      if (pending == null && !text.startsWith("curl ")) {
        continue;
      }
      pending = pending == null ? new StringBuilder(text) : pending.append('\n').append(line);
      // A command goes on after a trailing backslash or inside a single-quoted body.
      if (!text.endsWith("\\") && pending.chars().filter(c -> c == '\'').count() % 2 == 0) {
        out.add(pending.toString());
        pending = null;
      }
    }
    return out;
  }
}
