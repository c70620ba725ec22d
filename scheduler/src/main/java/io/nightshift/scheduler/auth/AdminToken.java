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
 * one written to {@code admin.token} (mode 0600) and printed once.
 */
public final class AdminToken {
  public static final String NAME = "admin";

  private AdminToken() {}

  /** Returns the sentence to print at start-up saying where the admin token is. */
  public static String ensure(
      TokenRepository tokens, String configured, Path dataDir, Clock clock) {
    Path file = dataDir.resolve("admin.token");
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
    return "admin token (shown once): "
        + secret
        + "\nadmin token: written to "
        + file.toAbsolutePath()
        + " (mode 0600)";
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
