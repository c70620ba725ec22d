package io.nightshift.web.logs;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.executor.LogLine;
import io.nightshift.scheduler.logs.LogBus;
import io.nightshift.web.Sse;
import io.nightshift.web.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Lines travel the log channel and step events the event channel, so a step's first lines can reach
 * a stream before the event saying the step started (and the one before it ended). A stream holds
 * an attempt's lines until it has told that attempt's status, and only for a while: the lines of an
 * attempt whose event never comes still go out. Here lines and events of an attempt (as an executor
 * and the engine would publish them) are handed to the node's bus directly, in the order the race
 * gives them.
 */
class StartBeforeLinesTest {
  private static final String WAIT = "nightshift.untoldStartWaitMs";
  private static final long FIRST = 900_000_001L;
  private static final long SECOND = 900_000_002L;

  @AfterEach
  void defaultWait() {
    System.clearProperty(WAIT);
  }

  @Test
  void
      a_steps_lines_that_outrun_its_start_event_follow_it_and_one_whose_event_never_comes_still_arrives()
          throws Exception {
    // The default wait (1 s): the line and the event below must reach the stream within it, also
    // on a loaded machine; notify's line goes out once it has passed.
    try (TestServer server = TestServer.start(TestServer.Store.H2)) {
      long run = WaitingRun.start(server);
      Sse stream = Sse.open(server.port(), "/api/v1/runs/" + run + "/logs/stream", ADMIN_TOKEN);
      LogBus bus = server.nightshift().logs().bus();

      bus.publish(line(run, FIRST, "deploy", 1));
      bus.publishEvent(stepEvent(run, FIRST, "deploy", "RUNNING"));
      bus.publish(line(run, FIRST, "deploy", 2));
      bus.publish(line(run, SECOND, "notify", 1)); // its event is lost

      Sse.Received received =
          stream.readToEndAfter(() -> cancel(server, run), e -> seen(e, SECOND, 1));
      List<String> told =
          received.events().stream()
              .filter(e -> e.type().equals("log") || e.type().equals("step"))
              .map(StartBeforeLinesTest::describe)
              .filter(d -> d.contains("deploy") || d.contains("notify"))
              .toList();
      assertThat(told)
          .containsExactly("step deploy RUNNING", "log deploy 1", "log deploy 2", "log notify 1");
      assertThat(received.events().get(received.events().size() - 1).type()).isEqualTo("end");
    }
  }

  @Test
  void lines_held_for_their_start_are_let_go_when_the_stream_ends() throws Exception {
    System.setProperty(WAIT, "60000");
    try (TestServer server = TestServer.start(TestServer.Store.H2)) {
      long run = WaitingRun.start(server);
      Sse stream = Sse.open(server.port(), "/api/v1/runs/" + run + "/logs/stream", ADMIN_TOKEN);
      server.nightshift().logs().bus().publish(line(run, FIRST, "deploy", 1));
      Awaitility.await()
          .atMost(10, TimeUnit.SECONDS)
          .until(() -> server.nightshift().streams().bufferedBytes() > 0);

      cancel(server, run);
      Sse.Received received = stream.readToEnd();

      assertThat(received.events().get(received.events().size() - 1).type()).isEqualTo("end");
      Awaitility.await()
          .atMost(10, TimeUnit.SECONDS)
          .until(() -> server.nightshift().streams().bufferedBytes() == 0);
    }
  }

  private static void cancel(TestServer server, long run) {
    assertThat(server.post("/api/v1/runs/" + run + "/cancel", ADMIN_TOKEN, "{}").status())
        .isEqualTo(200);
  }

  private static LogLine line(long run, long attempt, String step, long seq) {
    return new LogLine(run, attempt, step, 1, seq, Instant.now(), LogLine.STDOUT, step + " " + seq);
  }

  private static JsonObject stepEvent(long run, long attempt, String step, String status) {
    return new JsonObject()
        .put("type", "step")
        .put("runId", run)
        .put("stepRunId", attempt)
        .put("step", step)
        .put("attempt", 1)
        .put("status", status)
        .put("ts", Instant.now().toString());
  }

  private static boolean seen(Sse.Event e, long attempt, long seq) {
    return e.type().equals("log")
        && e.data().getLong("stepRunId") == attempt
        && e.data().getLong("seq") == seq;
  }

  private static String describe(Sse.Event e) {
    JsonObject d = e.data();
    return e.type().equals("log")
        ? "log " + d.getString("step") + " " + d.getLong("seq")
        : "step " + d.getString("step") + " " + d.getString("status");
  }
}
