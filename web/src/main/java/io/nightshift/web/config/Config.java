package io.nightshift.web.config;

import io.nightshift.scheduler.store.DatabaseSettings;
import java.nio.file.Path;

/** The whole configuration, read by {@link ConfigLoader}. */
public record Config(
    String node, Path dataDir, Http http, DatabaseSettings db, Redis redis, Auth auth) {

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
}
