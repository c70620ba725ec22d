package io.nightshift.web.limits;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.Sse;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Live log followers that do not read (a raw socket with a tiny receive window) cannot make the
 * server hold more than its stream budget: they are dropped with a final event carrying the cursor
 * to resume from, while a reading follower gets every line, the API keeps answering, and a revoked
 * token's stream is closed.
 */
class SlowFollowerTest {
  private static final int LINES = 6_000;
  private static final int CLIENT_BYTES = 1024 * 1024;
  private static final long TOTAL_BYTES = 4 * 1024 * 1024;

  private TestServer server;

  @BeforeEach
  void start() throws Exception {
    Path dataDir = TempFolders.create("nightshift-slow-");
    Config config = TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null);
    server =
        TestServer.start(config.withHttp(config.http().withStreams(CLIENT_BYTES, TOTAL_BYTES, 12)));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void followers_that_do_not_read_are_paused_with_bounded_memory_and_resume_without_gaps()
      throws Exception {
    template(
        "chatty",
        "pad=$(printf '%01000d' 0); i=0; while [ $i -lt "
            + LINES
            + " ]; do i=$((i+1)); echo \"line $i $pad\"; done");
    String viewer = server.token("slow-viewer", "viewer");
    long runId = startRun("chatty");

    List<Socket> slow = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      slow.add(rawFollower(runId, viewer));
    }
    AtomicLong peakHeld = new AtomicLong();
    AtomicLong peakHeap = new AtomicLong();
    Runtime runtime = Runtime.getRuntime();
    Thread sampler =
        new Thread(
            () -> {
              while (!Thread.currentThread().isInterrupted()) {
                peakHeld.accumulateAndGet(server.nightshift().streams().bufferedBytes(), Math::max);
                peakHeap.accumulateAndGet(runtime.totalMemory() - runtime.freeMemory(), Math::max);
                java.util.concurrent.locks.LockSupport.parkNanos(5_000_000);
              }
            });
    sampler.start();
    Sse.Received reader;
    try {
      reader = Sse.follow(server.port(), "/api/v1/runs/" + runId + "/logs/stream", viewer);
    } finally {
      sampler.interrupt();
      sampler.join();
    }
    assertThat(seqs(reader)).as("the reading follower gets every line once").hasSize(LINES);
    assertThat(reader.events().get(reader.events().size() - 1).type()).isEqualTo("end");
    System.out.printf(
        "slow followers: peak bytes held for streams %d (budget %d), peak test JVM heap %d MB%n",
        peakHeld.get(), TOTAL_BYTES, peakHeap.get() / (1024 * 1024));
    // Live lines are held up to the budget; beyond it each stream holds at most one store page
    // (200 lines of ~1 KB here) waiting for its socket.
    assertThat(peakHeld.get()).isLessThanOrEqualTo(TOTAL_BYTES + 11 * 200 * 1200);

    // A paused follower that starts reading gets the rest from the store: every line once, then
    // end.
    for (Socket s : slow.subList(0, 3)) {
      String text = readAll(s);
      Set<Long> seqs = new HashSet<>();
      for (String line : text.split("\n")) {
        if (line.startsWith("data: {") && line.contains("\"seq\"")) {
          assertThat(seqs.add(new JsonObject(line.substring(6)).getLong("seq")))
              .as("seq sent twice")
              .isTrue();
        }
      }
      assertThat(seqs).hasSize(LINES);
      assertThat(text).contains("event: end");
    }
    for (Socket s : slow) {
      s.close();
    }
  }

  @Test
  void a_follower_resumes_after_the_cursor_of_the_last_event_it_got() throws Exception {
    template("counted", "for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; done");
    long runId = startRun("counted");
    Sse.Received all =
        Sse.follow(server.port(), "/api/v1/runs/" + runId + "/logs/stream", ADMIN_TOKEN);
    assertThat(all.body()).contains("id: ");
    String fourth =
        all.body().lines().filter(l -> l.startsWith("id: ")).skip(3).findFirst().orElseThrow();
    Sse.Received rest =
        Sse.follow(
            server.port(),
            "/api/v1/runs/" + runId + "/logs/stream?after=" + fourth.substring(4),
            ADMIN_TOKEN);
    assertThat(seqs(rest)).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
    Answer bad =
        server.get("/api/v1/runs/" + runId + "/logs/stream?after=not-a-cursor", ADMIN_TOKEN);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.errorMessage()).contains("after");
  }

  private static List<Long> seqs(Sse.Received received) {
    return received.events().stream()
        .filter(e -> e.type().equals("log"))
        .map(e -> e.data().getLong("seq"))
        .toList();
  }

  @Test
  void a_token_holds_a_limited_number_of_streams_and_the_api_answers_while_they_run()
      throws Exception {
    template("waits", "echo started; sleep 30");
    String viewer = server.token("many-streams", "viewer");
    long runId = startRun("waits");
    List<Socket> open = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      open.add(rawFollower(runId, viewer));
    }
    Awaitility.await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> server.nightshift().streams().count("many-streams") == 12);
    Answer refused = server.get("/api/v1/runs/" + runId + "/logs/stream", viewer);
    assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
    assertThat(refused.errorMessage()).contains("http.streamsPerToken");
    Answer run = server.get("/api/v1/runs/" + runId, viewer);
    assertThat(run.status()).isEqualTo(200);
    open.get(0).close();
    Awaitility.await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> server.nightshift().streams().count("many-streams") == 11);
    server.post("/api/v1/runs/" + runId + "/cancel", ADMIN_TOKEN, "{}");
    for (Socket s : open) {
      s.close();
    }
  }

  @Test
  void revoking_a_token_ends_its_open_streams_at_once() throws Exception {
    template("long", "echo started; sleep 30");
    String viewer = server.token("revoked-viewer", "viewer");
    String other = server.token("other-viewer", "viewer");
    long runId = startRun("long");
    Sse revokedStream = Sse.open(server.port(), "/api/v1/runs/" + runId + "/logs/stream", viewer);
    Sse otherStream = Sse.open(server.port(), "/api/v1/runs/" + runId + "/logs/stream", other);
    Awaitility.await()
        .atMost(10, TimeUnit.SECONDS)
        .until(() -> server.nightshift().streams().count("revoked-viewer") == 1);
    assertThat(server.delete("/api/v1/tokens/revoked-viewer", ADMIN_TOKEN).status()).isEqualTo(204);
    Sse.Received received = revokedStream.readToEnd();
    assertThat(received.body()).contains("event: revoked");
    assertThat(server.nightshift().streams().count("other-viewer")).isEqualTo(1);
    server.post("/api/v1/runs/" + runId + "/cancel", ADMIN_TOKEN, "{}");
    assertThat(otherStream.readToEnd().events())
        .last()
        .extracting(Sse.Event::type)
        .isEqualTo("end");
  }

  private void template(String name, String command) {
    Answer created =
        server.post(
            "/api/v1/templates",
            ADMIN_TOKEN,
            new JsonObject()
                .put("name", name)
                .put(
                    "steps",
                    new io.vertx.core.json.JsonArray()
                        .add(
                            new JsonObject()
                                .put("name", "print")
                                .put("kind", "command")
                                .put("command", command)))
                .encode());
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
  }

  private long startRun(String template) {
    Answer run =
        server.post(
            "/api/v1/runs", ADMIN_TOKEN, new JsonObject().put("template", template).encode());
    assertThat(run.status()).as(run.toString()).isEqualTo(202);
    return run.json().getLong("id");
  }

  /** A follower that sends its request and then never reads, with a tiny receive window. */
  private Socket rawFollower(long runId, String token) throws Exception {
    Socket socket = new Socket();
    socket.setReceiveBufferSize(1024);
    socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
    socket
        .getOutputStream()
        .write(
            ("GET /api/v1/runs/"
                    + runId
                    + "/logs/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + token
                    + "\r\nAccept: text/event-stream\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return socket;
  }

  /** Reads what the server sent until the last chunk of the answer (or the connection closes). */
  private static String readAll(Socket socket) throws Exception {
    socket.setSoTimeout(30_000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    InputStream in = socket.getInputStream();
    byte[] buffer = new byte[65536];
    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
      out.write(buffer, 0, n);
      if (n >= 7
          && new String(buffer, n - 7, 7, StandardCharsets.US_ASCII).equals("\r\n0\r\n\r\n")) {
        break;
      }
    }
    return dechunk(out.toString(StandardCharsets.UTF_8));
  }

  /** Removes HTTP chunk-size lines so events split across chunks read whole again. */
  private static String dechunk(String raw) {
    int body = raw.indexOf("\r\n\r\n");
    String rest = raw.substring(body + 4);
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (at < rest.length()) {
      int eol = rest.indexOf("\r\n", at);
      if (eol < 0) {
        break;
      }
      int size = Integer.parseInt(rest.substring(at, eol).trim(), 16);
      if (size == 0) {
        break;
      }
      int start = eol + 2;
      int end = Math.min(rest.length(), start + size);
      out.append(rest, start, end);
      at = end + 2;
    }
    return out.toString();
  }
}
