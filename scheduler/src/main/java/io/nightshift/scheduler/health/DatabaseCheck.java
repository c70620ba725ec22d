package io.nightshift.scheduler.health;

import io.nightshift.scheduler.store.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/** The database answers a validation query. */
public final class DatabaseCheck implements ReadinessCheck {
  private final Vertx vertx;
  private final Database database;

  public DatabaseCheck(Vertx vertx, Database database) {
    this.vertx = vertx;
    this.database = database;
  }

  @Override
  public String name() {
    return "database";
  }

  @Override
  public Future<Void> check() {
    return vertx.executeBlocking(
        () -> {
          if (!database.isReachable(2)) {
            throw new IllegalStateException("database does not answer");
          }
          return null;
        },
        false);
  }
}
