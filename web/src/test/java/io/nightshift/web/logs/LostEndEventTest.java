package io.nightshift.web.logs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.Sse;
import io.nightshift.web.TestServer;
import java.sql.Connection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A live stream whose run ended without the end's event reaching the bus (a Redis outage can lose
 * it: the publisher came back before the subscriber) still ends: an idle stream reads the run's
 * status from the store at each keepalive. Here the run's end is written straight into the store,
 * so no event is ever published.
 */
class LostEndEventTest {
  private static final String KEEPALIVE = "nightshift.streamKeepaliveMs";

  @BeforeEach
  void shortKeepalive() {
    System.setProperty(KEEPALIVE, "200");
  }

  @AfterEach
  void defaultKeepalive() {
    System.clearProperty(KEEPALIVE);
  }

  @Test
  void a_stream_ends_when_the_store_says_the_run_ended_although_no_event_came() throws Exception {
    try (TestServer server = TestServer.start(TestServer.Store.H2)) {
      long run = WaitingRun.start(server);

      Sse stream = Sse.open(server.port(), "/api/v1/runs/" + run + "/logs/stream", ADMIN_TOKEN);
      try (Connection c = server.nightshift().database().dataSource().getConnection();
          var end =
              c.prepareStatement(
                  "UPDATE run SET status = 'CANCELED', finished_at = CURRENT_TIMESTAMP WHERE id = ?")) {
        end.setLong(1, run);
        assertThat(end.executeUpdate()).isEqualTo(1);
      }

      Sse.Received received = stream.readToEnd();
      Sse.Event last = received.events().get(received.events().size() - 1);
      assertThat(last.type()).isEqualTo("end");
      assertThat(last.data().getString("status")).isEqualTo("CANCELED");
    }
  }
}
