package io.nightshift.web.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.RedisProcess;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** On MySQL + Redis, /ready follows Redis going away and coming back; the service keeps serving. */
class ReadinessTest {

  @Test
  void ready_is_503_naming_redis_while_it_is_down_and_200_again_when_it_returns() {
    try (RedisProcess redis = RedisProcess.start();
        TestServer server = TestServer.start(TestServer.Store.MYSQL, redis.url())) {
      Answer up = server.get("/ready", null);
      assertThat(up.status()).as(up.toString()).isEqualTo(200);
      assertThat(up.json().getJsonObject("checks").getString("redis")).isEqualTo("up");
      assertThat(up.json().getJsonObject("checks").getString("database")).isEqualTo("up");

      redis.stop();
      Awaitility.await()
          .atMost(15, TimeUnit.SECONDS)
          .until(() -> server.get("/ready", null).status() == 503);
      Answer down = server.get("/ready", null);
      assertThat(down.json().getJsonObject("checks").getString("redis")).startsWith("down");
      assertThat(down.json().getJsonObject("error").getString("message")).contains("redis");
      assertThat(down.json().getJsonObject("checks").getString("database")).isEqualTo("up");
      assertThat(server.get("/health", null).status()).isEqualTo(200);
      assertThat(server.get("/api/v1/templates", TestServer.ADMIN_TOKEN).status()).isEqualTo(200);

      redis.restart();
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> server.get("/ready", null).status() == 200);
    }
  }
}
