package io.nightshift.web;

import io.nightshift.scheduler.secrets.SecretCipher;
import io.nightshift.scheduler.secrets.SecretsRepository;
import io.nightshift.web.config.Config;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The key that encrypts secrets at rest: {@code secrets.key} (NIGHTSHIFT_SECRETS_KEY), else the key
 * file ({@code secrets.keyFile}, default {@code secrets.key} in dataDir). On the embedded store a
 * missing default file is generated (written, mode 0600, once the node can serve); a MySQL store is
 * shared by every node, so there the key must be given: a node never invents one its peers do not
 * have.
 */
public final class SecretKeys {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SecretKeys.class);
  static final String FILE = "secrets.key";

  private final SecretCipher cipher;
  private final Path generated;
  private final String generatedKey;
  private final String source;
  private final boolean rotating;

  private SecretKeys(SecretCipher cipher, Path generated, String generatedKey, String source) {
    this.rotating = cipher.keyCount() > 1;
    this.cipher = cipher;
    this.generated = generated;
    this.generatedKey = generatedKey;
    this.source = source;
  }

  /** Why {@code base64} is not a key (a sentence that never repeats it), or null when it is. */
  public static String problem(String base64) {
    try {
      int length = Base64.getDecoder().decode(base64.trim()).length;
      return length == SecretCipher.KEY_BYTES
          ? null
          : "must be the base64 of "
              + SecretCipher.KEY_BYTES
              + " bytes (head -c 32 /dev/urandom | base64), got "
              + length
              + " bytes";
    } catch (IllegalArgumentException e) {
      return "must be the base64 of "
          + SecretCipher.KEY_BYTES
          + " bytes (head -c 32 /dev/urandom | base64); it is not base64";
    }
  }

  /** Resolves the keys; a {@link StartupFailure} names the key or file at fault. */
  static SecretKeys resolve(Config.Secrets config, Path dataDir, boolean embedded) {
    List<byte[]> old = new ArrayList<>();
    config.oldKeys().forEach(k -> old.add(decode(k)));
    if (config.key() != null) {
      return new SecretKeys(
          SecretCipher.of(decode(config.key()), old),
          null,
          null,
          "the setting secrets.key (or NIGHTSHIFT_SECRETS_KEY)");
    }
    Path file = config.keyFile();
    if (file == null && !embedded) {
      throw new StartupFailure(
          "secrets.key: a MySQL store needs the key that encrypts secrets at rest, the same on"
              + " every node: set NIGHTSHIFT_SECRETS_KEY to the base64 of 32 random bytes (head -c"
              + " 32 /dev/urandom | base64), or secrets.keyFile to a file holding it",
          null);
    }
    if (file == null) {
      file = dataDir.resolve(FILE);
      if (!Files.exists(file)) {
        byte[] key = new byte[SecretCipher.KEY_BYTES];
        new SecureRandom().nextBytes(key);
        return new SecretKeys(
            SecretCipher.of(key, old), file, Base64.getEncoder().encodeToString(key), file + "");
      }
    }
    return new SecretKeys(SecretCipher.of(read(file), old), null, null, file.toString());
  }

  private static byte[] read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (java.nio.file.NoSuchFileException e) {
      throw new StartupFailure("secrets.keyFile: " + file + " does not exist", e);
    } catch (IOException e) {
      throw new StartupFailure("secrets.keyFile: cannot read " + file + ": " + e.getMessage(), e);
    }
    String problem = problem(text);
    if (problem != null) {
      throw new StartupFailure("secrets.keyFile: " + file + ": " + problem, null);
    }
    return Base64.getDecoder().decode(text);
  }

  private static byte[] decode(String base64) {
    return Base64.getDecoder().decode(base64.trim());
  }

  SecretCipher cipher() {
    return cipher;
  }

  /** Writes a generated key to its file (mode 0600); nothing when the key was given. */
  void persist() {
    if (generated == null) {
      return;
    }
    try {
      Files.createDirectories(generated.getParent());
      Files.writeString(
          generated,
          generatedKey + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      Files.setPosixFilePermissions(generated, PosixFilePermissions.fromString("rw-------"));
    } catch (FileAlreadyExistsException e) {
      throw new StartupFailure(
          "secrets.keyFile: " + generated + " appeared while this node started; start again", e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the secrets key file " + generated, e);
    }
  }

  /**
   * Refuses to start when stored secrets were sealed with a key this node does not have: it could
   * not run their runs nor deliver their webhooks.
   */
  void check(SecretsRepository stored) {
    java.util.Set<String> missing = new java.util.TreeSet<>(stored.keyIdsInUse(1000));
    missing.removeIf(cipher::knows);
    if (!missing.isEmpty()) {
      throw new StartupFailure(
          "secrets.key: stored secrets were encrypted with key "
              + String.join(", ", missing)
              + ", which this node does not have (its key is "
              + cipher.currentKeyId()
              + "): give that key as secrets.key, or list it in secrets.oldKeys"
              + " (NIGHTSHIFT_SECRETS_OLD_KEYS)",
          null);
    }
  }

  /**
   * On a thread of its own: encrypts secrets stored in clear before encryption existed (template
   * versions, jobs, runs not over) and, with old keys configured, seals every stored secret again
   * with the current key, logging when none is left under an old key (then they can be removed).
   */
  void resealInBackground(SecretsRepository stored) {
    Thread thread =
        new Thread(
            () -> {
              try {
                long clear = stored.sealClear(cipher);
                if (clear > 0) {
                  log.info("secrets: {} row(s) stored in clear encrypted", clear);
                }
                if (rotating) {
                  long count = stored.resealAll(cipher, 200);
                  log.info(
                      "secrets: {} stored value(s) encrypted again with key {}; none is left under"
                          + " an old key: secrets.oldKeys can be removed",
                      count,
                      cipher.currentKeyId());
                }
              } catch (RuntimeException e) {
                log.warn("secrets: encrypting stored values failed: {}", e.toString());
              }
            },
            "nightshift-secrets-reseal");
    thread.setDaemon(true);
    thread.start();
  }

  /** Where the key comes from, for the start-up log (never the key). */
  String describe() {
    return "secrets key "
        + cipher.currentKeyId()
        + (generated != null ? " generated into " + generated + " (mode 0600)" : " from " + source);
  }
}
