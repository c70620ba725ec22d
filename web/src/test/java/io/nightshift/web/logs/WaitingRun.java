package io.nightshift.web.logs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** A run that stays active until canceled: its one step waits for an admin's approval. */
final class WaitingRun {
  private WaitingRun() {}

  /** Creates template "gated" (one approval step) and starts a run of it; its id. */
  static long start(TestServer server) {
    JsonObject template =
        new JsonObject()
            .put("name", "gated")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "ok")
                            .put("kind", "approval")
                            .put("approvers", new JsonArray().add("role:admin"))));
    assertThat(server.post("/api/v1/templates", ADMIN_TOKEN, template.encode()).status())
        .isEqualTo(201);
    return server
        .post("/api/v1/runs", ADMIN_TOKEN, "{\"template\":\"gated\"}")
        .json()
        .getLong("id");
  }
}
