package io.nightshift.web.config;

import io.nightshift.scheduler.store.DatabaseSettings;
import java.nio.file.Path;

/** The whole configuration, read by {@link ConfigLoader}. */
public record Config(
    String node,
    Path dataDir,
    Http http,
    DatabaseSettings db,
    Redis redis,
    Auth auth,
    Runs runs,
    Logs logs) {

  /** Where the API listens and how much a request body may hold. */
  public record Http(String host, int port, int maxBodyBytes) {}

  /** Redis for the log bus and events; {@code url} null means the in-process bus. */
  public record Redis(String url) {
    public boolean enabled() {
      return url != null;
    }
  }

  /** The admin token given by the operator (null: generate one at first start). */
  public record Auth(String adminToken, boolean allowSelfApproval) {}

  /** Limits of step execution. */
  public record Runs(
      int defaultTimeoutSeconds, long maxLinesPerStep, int maxLineLength, int killGraceSeconds) {}

  /** The log pipeline: lines held in memory while Redis is unreachable, before steps block. */
  public record Logs(int bufferLines, int retentionDays) {}
}
