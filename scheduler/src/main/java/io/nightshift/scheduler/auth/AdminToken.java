package io.nightshift.scheduler.auth;

import io.nightshift.scheduler.error.Conflict;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;

/**
 * Makes sure someone can log in: the configured admin token, or on the very first start a generated
 * one written to {@code admin.token} (mode 0600); only the file's path is printed.
 */
public final class AdminToken {
  public static final String NAME = "admin";

  private AdminToken() {}

  /**
   * The token file's name for the store at {@code jdbcUrl}: {@code admin.token} for the embedded
   * store, {@code admin-<host>_<port>_<database>.token} for a MySQL/MariaDB one, so that two
   * configurations sharing a data directory never overwrite each other's file.
   */
  public static String fileName(String jdbcUrl) {
    if (jdbcUrl.startsWith("jdbc:h2:")) {
      return "admin.token";
    }
    String rest = jdbcUrl.replaceFirst("^jdbc:[a-z]+:(//)?", "");
    rest = rest.replaceFirst("^[^/@]*@", "");
    int options = rest.indexOf('?');
    if (options >= 0) {
      rest = rest.substring(0, options);
    }
    String store = rest.replaceAll("[^A-Za-z0-9.-]+", "_").replaceAll("^_+|_+$", "");
    return "admin-" + (store.isEmpty() ? "store" : store) + ".token";
  }

  /**
   * Returns the sentence to print at start-up saying where the admin token is; a generated one is
   * written to {@link #fileName} of {@code storeUrl} in {@code dataDir}.
   */
  public static String ensure(
      TokenRepository tokens, String configured, Path dataDir, String storeUrl, Clock clock) {
    Path file = dataDir.resolve(fileName(storeUrl));
    if (configured != null && !configured.isBlank()) {
      tokens.put(
          NAME,
          List.of(Role.ADMIN.json()),
          TokenSecret.hash(configured.trim()),
          "system",
          clock.instant());
      return "admin token: the one set by NIGHTSHIFT_ADMIN_TOKEN / auth.adminToken";
    }
    if (tokens.count() > 0) {
      return Files.exists(file)
          ? "admin token: in " + file.toAbsolutePath() + " (written at first start)"
          : "admin token: tokens exist already; use one with the admin role";
    }
    String secret = TokenSecret.generate();
    try {
      tokens.create(
          NAME,
          List.of(Role.ADMIN.json()),
          null,
          TokenSecret.hash(secret),
          "system",
          clock.instant());
    } catch (Conflict raced) {
      return "admin token: created by another node; see its admin.token";
    }
    write(file, secret);
    // The secret itself is never printed: start-up output ends up in collected logs.
    return "admin token: generated and written to " + file.toAbsolutePath() + " (mode 0600)";
  }

  private static void write(Path file, String secret) {
    try {
      Files.createDirectories(file.getParent() == null ? Path.of(".") : file.getParent());
      Files.deleteIfExists(file);
      try {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException | FileAlreadyExistsException e) {
        Files.createFile(file);
      }
      Files.writeString(file, secret + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
