package io.nightshift.web.limits;

import static io.nightshift.web.TestServer.ADMIN_TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.Sse;
import io.nightshift.web.TestServer;
import io.nightshift.web.TestServer.Answer;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Many followers of one run cost the server about what one does: the stored lines they replay are
 * read once and every line's frame is encoded once, and connections are served on several event
 * loops, so that API requests do not wait behind the writes of every open stream (200 followers of
 * a busy run made {@code GET /runs/1} take seconds). Every follower still gets every line in order.
 */
class SharedStreamsTest {
  private static final int LINES = 3_000;
  private static final int FOLLOWERS = 10;
  private static final int PAGE = 200;
  private static final int CLIENT_BYTES = 8 * 1024 * 1024;

  private TestServer server;

  @BeforeEach
  void start() throws Exception {
    Path dataDir = TempFolders.create("nightshift-shared-");
    Config config = TestServer.config(dataDir, TestDatabases.h2Settings(dataDir), null);
    server =
        TestServer.start(
            config.withHttp(config.http().withStreams(CLIENT_BYTES, 2L * CLIENT_BYTES, 12)));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void followers_of_one_run_read_its_lines_once_and_each_gets_every_line_in_order()
      throws Exception {
    template(
        "printed", "i=0; while [ $i -lt " + LINES + " ]; do i=$((i+1)); echo \"line $i\"; done");
    long runId = startRun("printed");
    Awaitility.await()
        .atMost(60, TimeUnit.SECONDS)
        .until(
            () ->
                server
                    .get("/api/v1/runs/" + runId, ADMIN_TOKEN)
                    .json()
                    .getString("status")
                    .equals("SUCCEEDED"));
    // Every line stored (the log pipeline may still be writing the last ones when the run ends):
    // followers then replay a run that no longer changes.
    Awaitility.await()
        .atMost(60, TimeUnit.SECONDS)
        .until(
            () ->
                server
                    .get("/api/v1/runs/" + runId + "/logs?limit=" + (LINES + 10), ADMIN_TOKEN)
                    .json()
                    .getJsonArray("items")
                    .size(),
            n -> n == LINES);
    long readsBefore = server.nightshift().streams().storeReads();
    long encodedBefore = server.nightshift().streams().framesEncoded();

    ExecutorService pool = Executors.newFixedThreadPool(FOLLOWERS);
    try {
      List<Future<Sse.Received>> followers = new ArrayList<>();
      for (int i = 0; i < FOLLOWERS; i++) {
        followers.add(
            pool.submit(
                () ->
                    Sse.follow(
                        server.port(), "/api/v1/runs/" + runId + "/logs/stream", ADMIN_TOKEN)));
      }
      for (Future<Sse.Received> follower : followers) {
        Sse.Received received = follower.get(90, TimeUnit.SECONDS);
        List<Long> seqs =
            received.events().stream()
                .filter(e -> e.type().equals("log"))
                .map(e -> e.data().getLong("seq"))
                .toList();
        assertThat(seqs).hasSize(LINES);
        for (int i = 0; i < LINES; i++) {
          assertThat(seqs.get(i)).isEqualTo(i + 1L);
        }
        assertThat(received.events().get(received.events().size() - 1).type()).isEqualTo("end");
      }
    } finally {
      pool.shutdownNow();
    }

    // One follower alone reads LINES / PAGE pages and encodes LINES frames; ten unshared
    // followers read and encode ten times that. Only the last page (still growing while a run
    // prints) is read by each follower.
    long reads = server.nightshift().streams().storeReads() - readsBefore;
    long encoded = server.nightshift().streams().framesEncoded() - encodedBefore;
    assertThat(reads)
        .as("reads %d, encoded %d", reads, encoded)
        .isLessThanOrEqualTo(LINES / PAGE + 2L * FOLLOWERS);
    assertThat(encoded).as("reads %d, encoded %d", reads, encoded).isLessThan(2L * LINES);
  }

  @Test
  void a_follower_that_pauses_while_thousands_of_lines_wait_for_it_then_gets_them_all_in_order()
      throws Exception {
    int lines = 30_000;
    template("burst", "i=0; while [ $i -lt " + lines + " ]; do i=$((i+1)); echo \"l $i\"; done");
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(2048);
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()), 5000);
      long runId = startRun("burst");
      socket
          .getOutputStream()
          .write(
              ("GET /api/v1/runs/"
                      + runId
                      + "/logs/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                      + ADMIN_TOKEN
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      // Not reading: live lines wait in the stream's memory (megabytes of them, within its share).
      Awaitility.await()
          .atMost(60, TimeUnit.SECONDS)
          .until(() -> server.nightshift().streams().bufferedBytes() > CLIENT_BYTES / 2);
      // Now reading: every waiting line goes out, then what the store holds, then end.
      socket.setSoTimeout(60_000);
      java.io.BufferedReader in =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      List<Long> seqs = new ArrayList<>();
      String line;
      // Keepalives keep each read short: a stream that never ends must fail, not hang the build
      // (it did once in a full run, 2026-12-05: the run over, the stream idle on keepalives).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      String last = null;
      while ((line = in.readLine()) != null && !line.startsWith("event: end")) {
        int at = line.indexOf("\"seq\":");
        if (line.startsWith("data: ") && at >= 0) {
          seqs.add(Long.parseLong(line.substring(at + 6, line.indexOf(',', at))));
        }
        if (!line.isEmpty()) {
          last = line;
        }
        if (System.nanoTime() > deadline) {
          // What the store and the log bus say tells a stream that lost its way from lines that
          // never reached the store (the stream waits 30 s for each block of missing lines).
          throw new AssertionError(
              "no end event within 120 s of reading: "
                  + seqs.size()
                  + " of "
                  + lines
                  + " lines, last frame line "
                  + last
                  + "; stored lines "
                  + server
                      .get("/api/v1/runs/" + runId + "/logs?limit=1&before=end", ADMIN_TOKEN)
                      .body()
                  + "; run "
                  + server.get("/api/v1/runs/" + runId, ADMIN_TOKEN).body()
                  + "; log bus "
                  + server.nightshift().logs().bus().health());
        }
      }
      assertThat(line).as("the stream ends with its end event").startsWith("event: end");
      assertThat(seqs).hasSize(lines);
      for (int i = 0; i < lines; i++) {
        assertThat(seqs.get(i)).isEqualTo(i + 1L);
      }
    }
  }

  @Test
  void connections_are_served_on_several_event_loops() throws Exception {
    Logger access = (Logger) LoggerFactory.getLogger("nightshift.access");
    Level level = access.getLevel();
    boolean additive = access.isAdditive();
    List<String> seen = new CopyOnWriteArrayList<>();
    AppenderBase<ILoggingEvent> threads =
        new AppenderBase<>() {
          @Override
          protected void append(ILoggingEvent event) {
            if (event.getFormattedMessage().contains(" GET /health ")) {
              seen.add(Thread.currentThread().getName());
            }
          }
        };
    threads.start();
    access.addAppender(threads);
    access.setLevel(Level.INFO);
    access.setAdditive(false);
    try {
      for (int i = 0; i < 8; i++) {
        assertThat(healthOnNewConnection()).startsWith("HTTP/1.1 200");
      }
      Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> seen.size() >= 8);
      Set<String> loops = Set.copyOf(seen);
      assertThat(loops).hasSizeGreaterThan(1).allMatch(t -> t.startsWith("vert.x-eventloop"));
    } finally {
      access.detachAppender(threads);
      access.setLevel(level);
      access.setAdditive(additive);
    }
  }

  /** One request on a connection of its own (a client would reuse a kept-alive one). */
  private String healthOnNewConnection() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", server.port())) {
      socket
          .getOutputStream()
          .write(
              "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                  .getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    }
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
                    new JsonArray()
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
}
