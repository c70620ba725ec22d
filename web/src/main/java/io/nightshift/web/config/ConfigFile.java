package io.nightshift.web.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The YAML configuration file: its known sections and keys, reading it, and flattening it to {@code
 * section.key} names. An unknown key, a section that is not a mapping or a file that cannot be read
 * is a {@link ConfigException} naming the key or the file.
 */
final class ConfigFile {
  private static final Map<String, Set<String>> SECTIONS =
      Map.of(
          "http",
              Set.of(
                  "host",
                  "port",
                  "maxBodyBytes",
                  "publicUrl",
                  "headerTimeoutSeconds",
                  "bodyTimeoutSeconds",
                  "idleTimeoutSeconds",
                  "maxConnections",
                  "streamClientBytes",
                  "streamTotalBytes",
                  "streamsPerToken"),
          "db", Set.of("url", "user", "password", "poolSize"),
          "redis", Set.of("url"),
          "auth", Set.of("adminToken", "allowSelfApproval"),
          "runs",
              Set.of(
                  "defaultTimeoutSeconds",
                  "maxLinesPerStep",
                  "maxLineLength",
                  "killGraceSeconds",
                  "retentionDays"),
          "logs", Set.of("bufferLines", "retentionDays", "readyTimeoutMillis", "fireRetentionDays"),
          "executor", Set.of("passEnv", "workDir", "keepWorkDirs"),
          "secrets", Set.of("key", "keyFile", "oldKeys"),
          "cluster",
              Set.of(
                  "leaseRenewSeconds",
                  "leaseExpirySeconds",
                  "sweepSeconds",
                  "cancelPollMillis",
                  "stallGraceSeconds"),
          "shutdown", Set.of("graceSeconds"));
  private static final Set<String> TOP_LEVEL = Set.of("node", "dataDir");

  private ConfigFile() {}

  /** The file's top-level mapping (empty for an empty file). */
  static Map<String, Object> read(Path file) {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      // A key written twice is a mistake (the second silently winning hides the first).
      LoaderOptions options = new LoaderOptions();
      options.setAllowDuplicateKeys(false);
      Object root = new Yaml(new SafeConstructor(options)).load(reader);
      if (root == null) {
        return Map.of();
      }
      if (!(root instanceof Map<?, ?> map)) {
        throw new ConfigException(file + ": the top level must be a mapping of keys");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> typed = (Map<String, Object>) map;
      return typed;
    } catch (NoSuchFileException e) {
      throw new ConfigException(
          "config file " + file + " not found (pass --config FILE or set NIGHTSHIFT_CONFIG)");
    } catch (IOException e) {
      throw new ConfigException("config file " + file + " cannot be read: " + e.getMessage());
    } catch (MarkedYAMLException e) {
      // The problem and where it is, without SnakeYAML's quoted excerpt of the file.
      Mark at = e.getProblemMark();
      throw new ConfigException(
          "config file "
              + file
              + " is not valid YAML: "
              + e.getProblem()
              + (at == null ? "" : " (line " + (at.getLine() + 1) + ")"));
    } catch (YAMLException e) {
      throw new ConfigException(
          "config file " + file + " is not valid YAML: " + e.getMessage().replace('\n', ' '));
    }
  }

  /** Puts every key of {@code root} into {@code flat} as {@code section.key}, checking its name. */
  static void flatten(Map<String, Object> root, Path file, Map<String, Object> flat) {
    for (Map.Entry<String, Object> entry : root.entrySet()) {
      String key = String.valueOf(entry.getKey());
      if (TOP_LEVEL.contains(key)) {
        flat.put(key, entry.getValue());
      } else if (SECTIONS.containsKey(key)) {
        if (entry.getValue() == null) {
          continue;
        }
        if (!(entry.getValue() instanceof Map<?, ?> section)) {
          throw new ConfigException(key + ": must be a mapping (in " + file + ")");
        }
        for (Map.Entry<?, ?> inner : section.entrySet()) {
          String name = String.valueOf(inner.getKey());
          if (!SECTIONS.get(key).contains(name)) {
            throw new ConfigException(
                key
                    + "."
                    + name
                    + ": unknown key; "
                    + key
                    + " has "
                    + new TreeSet<>(SECTIONS.get(key)));
          }
          flat.put(key + "." + name, inner.getValue());
        }
      } else {
        Set<String> known = new TreeSet<>(TOP_LEVEL);
        known.addAll(SECTIONS.keySet());
        throw new ConfigException(key + ": unknown key; the top level has " + known);
      }
    }
  }
}
