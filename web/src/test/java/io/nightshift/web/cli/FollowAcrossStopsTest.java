package io.nightshift.web.cli;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.RedisProcess;
import io.nightshift.web.TcpProxy;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nightshift logs --follow} keeps following when its stream stops before the run's end: it
 * opens the stream again after the last line it got, through the same address, and prints every
 * line once, in order, with each step's marks once. The pauses between tries are recorded, not
 * waited.
 */
class FollowAcrossStopsTest {
  private static final int LINES = 8;

  private final List<Duration> pauses = new CopyOnWriteArrayList<>();
  private final Api.Sleeper realPauses = Api.sleeper;
  private final ContractObserver contract = new ContractObserver();
  @TempDir Path home;

  @BeforeEach
  void observe() {
    Api.observer = contract;
  }

  @AfterEach
  void restore() {
    Api.observer = null;
    Api.sleeper = realPauses;
    assertThat(contract.takeViolations()).as("CLI answers that drift from the document").isEmpty();
  }

  @Test
  void a_broken_connection_is_followed_again_from_where_it_stopped() throws Exception {
    try (TestServer server = TestServer.start(TestServer.Store.H2);
        TcpProxy proxy = TcpProxy.to(server.port())) {
      long id = startCounting(server);
      // The follower is away until the run has ended: the step marks it missed come back too.
      Api.sleeper =
          pause -> {
            pauses.add(pause);
            Awaitility.await()
                .atMost(30, TimeUnit.SECONDS)
                .until(
                    () -> server.get("/api/v1/runs/" + id, ADMIN_TOKEN).json().getString("status"),
                    "SUCCEEDED"::equals);
            proxy.restore();
          };
      Follower follower = follow(proxy, id);
      follower.awaitOut("count | line 2");

      proxy.cut();

      follower.assertFollowedToTheEnd(id);
      assertThat(pauses).containsExactly(LogFollower.PAUSE);
      // The marks it missed come where they happened: count's end between its lines and after's.
      List<String> printed = follower.out().toString().lines().toList();
      assertThat(printed.indexOf("-- step count SUCCEEDED"))
          .isGreaterThan(printed.indexOf("count | line " + LINES))
          .isLessThan(printed.indexOf("after | done"));
    }
  }

  @Test
  void a_stream_that_goes_silent_is_taken_for_broken_and_followed_again() throws Exception {
    // Keepalives every 0.5 s: a stream silent for 1.5 s (three of them) has lost its way.
    System.setProperty("nightshift.streamKeepaliveMs", "500");
    try (TestServer server = TestServer.start(TestServer.Store.H2);
        TcpProxy proxy = TcpProxy.to(server.port())) {
      long id = startCounting(server);
      Api.sleeper =
          pause -> {
            pauses.add(pause);
            proxy.restore();
          };
      Follower follower = follow(proxy, id);
      follower.awaitOut("count | line 2");

      proxy.silence();

      follower.assertFollowedToTheEnd(id);
      assertThat(follower.err().toString())
          .contains("nothing came from http://127.0.0.1:" + proxy.port() + " for 1 s");
    } finally {
      System.clearProperty("nightshift.streamKeepaliveMs");
    }
  }

  @Test
  void a_follower_that_reaches_no_node_for_half_a_minute_gives_up_saying_the_run_goes_on()
      throws Exception {
    try (TestServer server = TestServer.start(TestServer.Store.H2);
        TcpProxy proxy = TcpProxy.to(server.port())) {
      long id = startCounting(server);
      Api.sleeper = pauses::add;
      Follower follower = follow(proxy, id);
      follower.awaitOut("count | line 1");

      proxy.cut();

      int exit = follower.status().get(60, TimeUnit.SECONDS);
      String err = follower.err().toString();
      assertThat(exit).as(err).isEqualTo(2);
      assertThat(pauses).hasSize(LogFollower.RECONNECTS + 1);
      assertThat(err.lines().filter(l -> l.contains("no node answers yet"))).as(err).hasSize(2);
      assertThat(err.lines().reduce((a, b) -> b).orElseThrow())
          .contains("stopped following run " + id + " (it goes on; follow it again with");
    }
  }

  @Test
  void a_follower_of_a_node_that_stops_goes_on_through_another_node() throws Exception {
    var db = TestDatabases.cleanMysql();
    TestServer a = null;
    try (RedisProcess redis = RedisProcess.start();
        TestServer b = node(db, redis.url())) {
      a = node(db, redis.url());
      try (TcpProxy proxy = TcpProxy.to(a.port())) {
        Api.sleeper = pauses::add;
        // The run executes on b; its follower reads it through a, as a load balancer chose.
        long id = startCounting(b);
        Follower follower = follow(proxy, id);
        follower.awaitOut("count | line 2");

        // The load balancer takes a out, and a stops.
        proxy.retarget(b.port());
        long stopping = System.nanoTime();
        a.close();
        a = null;
        System.out.printf(
            "FollowAcrossStopsTest: node a stopped in %d ms with a stream open%n",
            (System.nanoTime() - stopping) / 1_000_000);

        follower.assertFollowedToTheEnd(id);
        assertThat(follower.err.toString())
            .as("a said it was stopping: the stream ended, it did not break")
            .contains("this node is stopping");
      }
    } finally {
      if (a != null) {
        a.close();
      }
    }
  }

  private static TestServer node(io.nightshift.scheduler.store.DatabaseSettings db, String redis)
      throws java.io.IOException {
    return TestServer.start(TestServer.config(TempFolders.create("nightshift-follow-"), db, redis));
  }

  /** A run of two steps: {@code count} prints a line every 0.3 s, then {@code after} one line. */
  private static long startCounting(TestServer server) {
    JsonObject template =
        new JsonObject()
            .put("name", "counting")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        step(
                            "count",
                            "for i in $(seq 1 " + LINES + "); do echo line $i; sleep 0.3; done"))
                    .add(step("after", "echo done")));
    Answer created = server.post("/api/v1/templates", ADMIN_TOKEN, template.encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    Answer started =
        server.post(
            "/api/v1/runs", ADMIN_TOKEN, new JsonObject().put("template", "counting").encode());
    assertThat(started.status()).as(started.toString()).isEqualTo(202);
    return started.json().getLong("id");
  }

  private static JsonObject step(String name, String command) {
    return new JsonObject().put("name", name).put("kind", "command").put("command", command);
  }

  /** {@code nightshift logs ID --follow} through {@code proxy}, on a thread of its own. */
  private Follower follow(TcpProxy proxy, long id) {
    Map<String, String> env = CommandLineTest.env(home, proxy.port(), ADMIN_TOKEN);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CompletableFuture<Integer> status =
        CompletableFuture.supplyAsync(
            () ->
                Cli.execute(
                    new String[] {"logs", String.valueOf(id), "--follow"},
                    env,
                    new PrintWriter(out, true),
                    new PrintWriter(err, true),
                    false));
    return new Follower(status, out, err);
  }

  private record Follower(CompletableFuture<Integer> status, StringWriter out, StringWriter err) {
    void awaitOut(String text) {
      Awaitility.await()
          .atMost(30, TimeUnit.SECONDS)
          .until(() -> out.toString().contains(text) || status.isDone());
      assertThat(out.toString()).as("err: " + err).contains(text);
    }

    /** Every line once and in order, each mark once, the run's end; the resume said so. */
    void assertFollowedToTheEnd(long id) throws Exception {
      int exit = status.get(60, TimeUnit.SECONDS);
      String printed = out.toString();
      assertThat(exit).as(printed + "\nerr: " + err).isZero();
      List<String> lines = printed.lines().filter(l -> l.contains(" | ")).toList();
      List<String> expected = new java.util.ArrayList<>();
      for (int i = 1; i <= LINES; i++) {
        expected.add("count | line " + i);
      }
      expected.add("after | done");
      assertThat(lines).as(printed).containsExactlyElementsOf(expected);
      assertThat(printed.lines().filter(l -> l.equals("-- step count SUCCEEDED")))
          .as(printed)
          .hasSize(1);
      for (String mark :
          List.of("-- step count RUNNING", "-- step after RUNNING", "-- step after SUCCEEDED")) {
        assertThat(printed.lines().filter(l -> l.equals(mark))).as(printed).hasSize(1);
      }
      assertThat(printed).contains("run " + id + " SUCCEEDED");
      assertThat(err.toString())
          .contains("following run " + id + " again in 1 s, from where it stopped")
          .doesNotContain("were not shown");
    }
  }
}
