package io.nightshift.web.cli;

import io.vertx.core.json.JsonObject;
import picocli.CommandLine.Command;

/** {@code backup}: a copy of the embedded store, written on the node's host while it runs. */
@Command(
    name = "backup",
    description =
        "Back up the embedded store while the node runs (admin): a zip under the node's"
            + " dataDir/backups, on the node's host. A MySQL/MariaDB store is backed up with its"
            + " own tools (mysqldump --single-transaction).")
final class BackupCommand extends Base {
  @Override
  int run() {
    JsonObject written = api().post("/api/v1/backup", null);
    out()
        .answer(
            written,
            "backup written on the node's host: "
                + written.getString("file")
                + " ("
                + written.getLong("bytes")
                + " bytes); restore: stop the node, unzip it where the database file is, start"
                + " the node (keep dataDir/secrets.key)");
    return Cli.OK;
  }
}
