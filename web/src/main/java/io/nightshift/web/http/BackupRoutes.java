package io.nightshift.web.http;

import io.nightshift.executor.Instants;
import io.nightshift.scheduler.auth.Permission;
import io.nightshift.scheduler.error.Conflict;
import io.nightshift.scheduler.store.EmbeddedBackup;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.time.Instant;

/**
 * {@code POST /backup} (admins): a consistent copy of the embedded store, taken while the node
 * runs, written on the node's host under {@code dataDir/backups}; audited. On a MySQL/MariaDB store
 * it is 409 {@code store_external}, naming the tool to use instead.
 */
public final class BackupRoutes {
  private final Endpoints endpoints;
  private final EmbeddedBackup backup;
  private final Clock clock;

  /** {@code backup} is null on a MySQL/MariaDB store. */
  public BackupRoutes(Endpoints endpoints, EmbeddedBackup backup, Clock clock) {
    this.endpoints = endpoints;
    this.backup = backup;
    this.clock = clock;
  }

  public void mount(Router api) {
    api.post("/backup")
        .handler(endpoints.blocking(Permission.ADMINISTER, NoBody.CHECK, this::back));
  }

  private Reply back(Call call) {
    if (backup == null) {
      throw new Conflict(
          "store_external",
          "the store is MySQL/MariaDB: back it up with its own tools, e.g. mysqldump"
              + " --single-transaction (README \"Backup and restore\")");
    }
    Instant now = clock.instant();
    EmbeddedBackup.Written written = backup.write(now, call.principal().name());
    return Reply.created(
        new JsonObject()
            .put("file", written.file().toString())
            .put("bytes", written.bytes())
            .put("createdAt", Instants.format(written.at())),
        null);
  }
}
