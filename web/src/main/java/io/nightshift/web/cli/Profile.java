package io.nightshift.web.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Properties;
import java.util.Set;

/**
 * The profile file ({@code ~/.config/nightshift/profile}, or {@code NIGHTSHIFT_PROFILE}): {@code
 * url=...} and {@code token=...} lines. It holds a secret, so it must be readable by its owner only
 * (mode 0600); the CLI refuses a profile others can read.
 */
record Profile(String url, String token) {
  private static final Set<String> KEYS = Set.of("url", "token");

  /**
   * The profile in {@code file}; none when the file does not exist, unless it was {@code named}
   * (NIGHTSHIFT_PROFILE): then its absence is an error rather than a silent fall back to the local
   * server.
   */
  static Profile load(Path file, boolean named) {
    if (!Files.exists(file)) {
      if (named) {
        throw new CliError("profile " + file + " (NIGHTSHIFT_PROFILE) does not exist");
      }
      return new Profile(null, null);
    }
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
      if (mode.stream()
          .anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
        throw new CliError(
            "profile "
                + file
                + " can be read by others: chmod 600 "
                + file
                + " (it holds a token)");
      }
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: nothing to check
    } catch (IOException e) {
      throw new CliError("cannot read profile " + file + ": " + e.getMessage());
    }
    Properties p = new Properties();
    try (Reader in = Files.newBufferedReader(file)) {
      p.load(in);
    } catch (IOException e) {
      throw new CliError("cannot read profile " + file + ": " + e.getMessage());
    }
    for (String key : p.stringPropertyNames()) {
      if (!KEYS.contains(key)) {
        throw new CliError(
            "profile " + file + ": unknown key '" + key + "' (a profile has url= and token=)");
      }
    }
    return new Profile(blankToNull(p.getProperty("url")), blankToNull(p.getProperty("token")));
  }

  private static String blankToNull(String v) {
    return v == null || v.isBlank() ? null : v.trim();
  }
}
