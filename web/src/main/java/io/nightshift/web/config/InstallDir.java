package io.nightshift.web.config;

import java.nio.file.Path;
import java.util.Map;

/**
 * The folder Nightshift was unpacked into, when it was started by {@code bin/nightshift} (which
 * sets {@code NIGHTSHIFT_HOME}). Relative paths of the configuration (the default config file,
 * {@code dataDir}, an H2 file URL) are taken from it, so the service behaves the same from any
 * working directory. Without it (a plain {@code java -jar}), relative paths stay relative to the
 * working directory, as the quick start expects.
 */
public record InstallDir(Path root) {
  public static final String VARIABLE = "NIGHTSHIFT_HOME";

  /** The install folder named by the environment, or null when there is none. */
  public static InstallDir from(Map<String, String> env) {
    String home = env.get(VARIABLE);
    return home == null || home.isBlank() ? null : new InstallDir(Path.of(home).toAbsolutePath());
  }

  /** {@code path} itself when absolute, otherwise taken from the install folder. */
  public Path resolve(Path path) {
    return path.isAbsolute() ? path : root.resolve(path).normalize();
  }

  /**
   * An H2 file URL with a relative file name rewritten to an absolute one under the install folder;
   * every other URL unchanged.
   */
  public String resolveJdbcUrl(String url) {
    String prefix;
    if (url.startsWith("jdbc:h2:file:")) {
      prefix = "jdbc:h2:file:";
    } else if (url.startsWith("jdbc:h2:./") || url.startsWith("jdbc:h2:../")) {
      prefix = "jdbc:h2:";
    } else {
      return url;
    }
    String rest = url.substring(prefix.length());
    int options = rest.indexOf(';');
    String file = options < 0 ? rest : rest.substring(0, options);
    if (file.isEmpty() || file.startsWith("/") || file.startsWith("~")) {
      return url;
    }
    return "jdbc:h2:file:" + resolve(Path.of(file)) + (options < 0 ? "" : rest.substring(options));
  }
}
