package io.nightshift.web.cli;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.web.TcpProxy;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands that start a run send the request again, with the same Idempotency-Key, when no
 * answer came back or the node answered 503: a request that went through although its answer was
 * lost starts one run, not two. The pauses between sends are recorded, not waited.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ResendTest {
  private final List<Duration> pauses = new CopyOnWriteArrayList<>();
  private final Api.Sleeper realPauses = Api.sleeper;
  private final ContractObserver contract = new ContractObserver();
  private TestServer server;
  private TcpProxy proxy;
  @TempDir Path home;

  @BeforeAll
  void start() {
    server = TestServer.start(TestServer.Store.H2);
    proxy = TcpProxy.to(server.port());
    Api.sleeper = pauses::add;
    Api.observer = contract;
    JsonObject template =
        new JsonObject()
            .put("name", "nightly-backup")
            .put(
                "steps",
                new JsonArray()
                    .add(
                        new JsonObject()
                            .put("name", "dump")
                            .put("kind", "command")
                            .put("command", "echo dumped")));
    Answer created = server.post("/api/v1/templates", ADMIN_TOKEN, template.encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
  }

  /** Every answer the CLI received, the 503s it sent again after too, matched the document. */
  @org.junit.jupiter.api.AfterEach
  void answersMatchTheDocument() {
    assertThat(contract.takeViolations()).as("CLI answers that drift from the document").isEmpty();
  }

  @AfterAll
  void stop() {
    Api.observer = null;
    Api.sleeper = realPauses;
    proxy.close();
    server.close();
  }

  private CommandLineTest.Result cli(String... args) {
    return CommandLineTest.cli(CommandLineTest.env(home, proxy.port(), ADMIN_TOKEN), args);
  }

  private JsonArray runs() {
    return server
        .get("/api/v1/runs?template=nightly-backup&limit=100", ADMIN_TOKEN)
        .json()
        .getJsonArray("items");
  }

  @Test
  @Order(1)
  void a_run_whose_answer_was_lost_is_asked_again_and_started_once() {
    proxy.loseNextAnswer();
    CommandLineTest.Result result = cli("--json", "run", "nightly-backup");

    assertThat(result.status()).as(result.toString()).isZero();
    assertThat(result.err())
        .contains("nightshift: no answer from http://127.0.0.1:" + proxy.port())
        .contains("sending the request again in 1 s (same Idempotency-Key)");
    assertThat(runs()).hasSize(1);
    assertThat(result.json().getLong("id")).isEqualTo(runs().getJsonObject(0).getLong("id"));
    assertThat(pauses).containsExactly(Duration.ofSeconds(1));
  }

  @Test
  @Order(3)
  void a_draining_node_is_asked_again_a_few_times_then_the_command_fails_with_its_answer() {
    pauses.clear();
    String node = server.nightshift().config().node();
    Answer drained = server.post("/api/v1/nodes/" + node + "/drain", ADMIN_TOKEN, null);
    assertThat(drained.status()).as(drained.toString()).isEqualTo(202);
    int before = runs().size();

    CommandLineTest.Result result = cli("run", "nightly-backup");

    assertThat(result.status()).as(result.toString()).isEqualTo(2);
    assertThat(result.err().lines().filter(l -> l.contains("sending the request again")))
        .hasSize(Api.RESENDS);
    assertThat(result.err().lines().reduce((a, b) -> b).orElseThrow()).contains("draining");
    // The node asks for 10 s; the command waits at most 5 s each time.
    assertThat(pauses).hasSize(Api.RESENDS).allMatch(p -> p.equals(Api.MAX_PAUSE));
    assertThat(runs()).hasSize(before);
  }

  @Test
  @Order(4)
  void a_node_that_refuses_the_connection_is_not_asked_again() throws Exception {
    pauses.clear();
    int port;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      port = free.getLocalPort();
    }
    CommandLineTest.Result result =
        CommandLineTest.cli(
            Map.of(
                "HOME",
                home.toString(),
                "NIGHTSHIFT_URL",
                "http://127.0.0.1:" + port,
                "NIGHTSHIFT_TOKEN",
                ADMIN_TOKEN),
            "run",
            "nightly-backup");
    assertThat(result.status()).isEqualTo(2);
    assertThat(result.err()).startsWith("nightshift: cannot reach").doesNotContain("again");
    assertThat(pauses).isEmpty();
  }

  @Test
  @Order(2)
  void a_node_that_dies_after_taking_the_request_is_said_to_have_maybe_started_the_run() {
    pauses.clear();
    proxy.loseNextAnswer();
    // The node goes away for good after the first copy: every resend is refused.
    Api.sleeper =
        pause -> {
          pauses.add(pause);
          proxy.cut();
          // The listening socket's close may land a moment after cut() returns.
          org.awaitility.Awaitility.await()
              .atMost(Duration.ofSeconds(5))
              .until(() -> refused(proxy.port()));
        };
    int before = runs().size();
    String last;
    try {
      CommandLineTest.Result result = cli("run", "nightly-backup");
      assertThat(result.status()).as(result.toString()).isEqualTo(2);
      assertThat(result.err().lines().filter(l -> l.contains("sending the request again")))
          .hasSize(Api.RESENDS);
      last = result.err().lines().reduce((a, b) -> b).orElseThrow();
      assertThat(last)
          .startsWith("nightshift: cannot reach")
          .contains(
              "the run may have started: look with `nightshift runs`, or send the same command"
                  + " again with --idempotency-key ");
    } finally {
      Api.sleeper = pauses::add;
      proxy.restore();
    }
    // The node is back: the same command with the key it named gets the run the first copy
    // started, and starts no other.
    String key = last.replaceAll(".*--idempotency-key (\\S+) .*", "$1");
    CommandLineTest.Result again = cli("--json", "run", "nightly-backup", "--idempotency-key", key);
    assertThat(again.status()).as(again.toString()).isZero();
    assertThat(runs()).hasSize(before + 1);
    assertThat(again.json().getLong("id")).isEqualTo(runs().getJsonObject(0).getLong("id"));
  }

  @Test
  @Order(5)
  void a_resend_that_ends_on_a_503_after_a_lost_answer_says_the_run_may_have_started() {
    // The node drains (test 3): the first copy's answer is lost, every resend is 503 draining.
    pauses.clear();
    proxy.loseNextAnswer();
    CommandLineTest.Result result = cli("run", "nightly-backup");
    assertThat(result.status()).as(result.toString()).isEqualTo(2);
    assertThat(result.err().lines().reduce((a, b) -> b).orElseThrow())
        .contains("draining")
        .contains("the run may have started: look with `nightshift runs`, or send the same");
  }

  private static boolean refused(int port) {
    try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
      return false;
    } catch (java.io.IOException e) {
      return true;
    }
  }
}
