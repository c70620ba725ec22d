package io.nightshift.scheduler.health;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.concurrent.TimeUnit;

/** Redis answers PING. The client reconnects by itself when Redis comes back. */
public final class RedisCheck implements ReadinessCheck {
  private final Redis redis;

  public RedisCheck(Redis redis) {
    this.redis = redis;
  }

  @Override
  public String name() {
    return "redis";
  }

  @Override
  public Future<Void> check() {
    return redis.send(Request.cmd(Command.PING)).timeout(2, TimeUnit.SECONDS).<Void>mapEmpty();
  }
}
