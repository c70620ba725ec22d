package io.nightshift.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on a loopback port to another local port, which a test can cut (every connection
 * through it is closed and new ones are refused, as when a database host goes away) and restore on
 * the same port, or tell to lose the answer on the next connection (the request reaches the server,
 * the connection breaks as its answer comes back), or send new connections to another port (a load
 * balancer that took a node out), or go silent (all of it, or only its open event streams), or keep
 * only its open event streams.
 */
public final class TcpProxy implements AutoCloseable {
  private volatile int target;
  private volatile boolean silent;

  /** Sockets that carry nothing any more, closes included ({@link #silenceStreams}). */
  private final java.util.Set<Socket> silenced = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private volatile boolean onlyStreams;
  private final int port;
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  /** Sockets of connections that asked for or carried an event stream (text/event-stream). */
  private final java.util.Set<Socket> streams = java.util.concurrent.ConcurrentHashMap.newKeySet();

  private volatile ServerSocket listening;
  private final java.util.concurrent.atomic.AtomicInteger answersToLose =
      new java.util.concurrent.atomic.AtomicInteger();

  private TcpProxy(int target) throws IOException {
    this.target = target;
    this.listening = listen(0);
    this.port = listening.getLocalPort();
    accept(listening);
  }

  /** A proxy to {@code 127.0.0.1:target}, accepting at once. */
  public static TcpProxy to(int target) {
    try {
      return new TcpProxy(target);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  /** Closes every connection through the proxy and refuses new ones until {@link #restore}. */
  public synchronized void cut() {
    keepOnly(socket -> false);
  }

  /**
   * Refuses new connections and closes those open but the event streams (a connection whose request
   * or answer named text/event-stream), until {@link #restore}: a node that stopped answering new
   * requests, or a client whose every request but its live streams fails.
   */
  public synchronized void keepOnlyStreams() {
    onlyStreams = true;
    keepOnly(streams::contains);
  }

  private void keepOnly(java.util.function.Predicate<Socket> kept) {
    closeQuietly(listening);
    listening = null;
    for (Socket socket : open) {
      if (!kept.test(socket)) {
        closeQuietly(socket);
        open.remove(socket);
      }
    }
  }

  /**
   * The next connection forwards what the client sends, and closes both sides when the server's
   * first bytes come back: the client gets no answer to a request the server handled.
   */
  public void loseNextAnswer() {
    answersToLose.incrementAndGet();
  }

  /** New connections go to {@code 127.0.0.1:port}; those open stay where they are. */
  public void retarget(int port) {
    this.target = port;
  }

  /**
   * Drops every byte from now on, both ways, on the connections open and new ones, which stay open
   * even when one end closes (a network that went silent, carrying no close either) until {@link
   * #restore} (or {@link #cut}, which closes them).
   */
  public void silence() {
    silent = true;
  }

  /** The sockets open, event streams and silenced ones, for a failure's message. */
  @Override
  public String toString() {
    return "proxy :"
        + port
        + ": "
        + open.size()
        + " socket(s) open, "
        + open.stream().filter(streams::contains).count()
        + " of them carrying event streams, "
        + open.stream().filter(silenced::contains).count()
        + " silenced";
  }

  /** How many event streams are open through the proxy (each counts its two sockets once). */
  public int openStreams() {
    return (int) open.stream().filter(streams::contains).count() / 2;
  }

  /**
   * Drops every byte from now on, both ways, on the event streams open (the connections that asked
   * for or carried text/event-stream), which stay open even when one end closes, as when a NAT or
   * firewall on the way forgot a long-lived connection; other connections, and new ones, carry on.
   * Until {@link #restore} (or {@link #cut}, which closes them).
   */
  public void silenceStreams() {
    for (Socket socket : open) {
      if (streams.contains(socket)) {
        silenced.add(socket);
      }
    }
  }

  /** Accepts connections again, on the same port, and forwards what they carry. */
  public synchronized void restore() {
    silent = false;
    silenced.clear();
    onlyStreams = false;
    if (listening != null) {
      return;
    }
    // The port may still be held a moment after cut() (the acceptor closing): try until it binds.
    listening =
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofSeconds(10))
            .pollInterval(java.time.Duration.ofMillis(20))
            .ignoreException(java.net.BindException.class)
            .until(() -> listen(port), java.util.Objects::nonNull);
    accept(listening);
  }

  /** Closes every connection through the proxy; new ones are accepted as before. */
  public void dropConnections() {
    for (Socket socket : open) {
      closeQuietly(socket);
    }
    open.clear();
  }

  @Override
  public void close() {
    cut();
  }

  private static ServerSocket listen(int port) throws IOException {
    ServerSocket server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    return server;
  }

  private void accept(ServerSocket server) {
    Thread acceptor =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                Socket client;
                Socket upstream;
                try {
                  client = server.accept();
                } catch (IOException e) {
                  continue; // closed by cut(): the loop ends
                }
                try {
                  upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                } catch (IOException e) {
                  closeQuietly(client);
                  continue;
                }
                synchronized (this) {
                  // Accepted as cut() closed the socket: refused like those after it.
                  if (server != listening) {
                    closeQuietly(client);
                    closeQuietly(upstream);
                    continue;
                  }
                  open.add(client);
                  open.add(upstream);
                }
                pump(client, upstream, true);
                if (answersToLose.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                  loseAnswer(upstream, client);
                } else {
                  pump(upstream, client, false);
                }
              }
            },
            "tcp-proxy-accept-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Copies from one socket to the other; {@code request}: from the client to the server. */
  private void pump(Socket from, Socket to, boolean request) {
    Thread copier =
        new Thread(
            () -> {
              // Not closed by a try: closing a socket's stream closes the socket (see finally).
              try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                byte[] chunk = new byte[8192];
                for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
                  if (request && onlyStreams) {
                    break; // a new request on a kept stream's connection: refused too
                  }
                  Boolean stream =
                      streamNamed(
                          new String(chunk, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1),
                          request);
                  if (Boolean.TRUE.equals(stream)) {
                    streams.add(from);
                    streams.add(to);
                  } else if (Boolean.FALSE.equals(stream) && request) {
                    // A kept-alive connection that carried a stream before now carries a request
                    // of another kind.
                    streams.remove(from);
                    streams.remove(to);
                  }
                  if (!quiet(from, to)) {
                    out.write(chunk, 0, n);
                  }
                }
              } catch (IOException e) {
                // one side closed: close the other too
              } finally {
                closeQuietly(from);
                open.remove(from);
                streams.remove(from);
                if (!quiet(from, to)) { // a silent network carries no close: cut() closes it
                  closeQuietly(to);
                  open.remove(to);
                  streams.remove(to);
                }
              }
            },
            "tcp-proxy-pump-" + port);
    copier.setDaemon(true);
    copier.start();
  }

  /**
   * Whether {@code chunk} begins a request that asks for an event stream ({@code Accept}) or an
   * answer that is one ({@code Content-Type}); null when it begins neither (the rest of a body).
   * Only the headers count: a body that names text/event-stream (the console's script, the OpenAPI
   * document) does not make its connection a stream.
   */
  private static Boolean streamNamed(String chunk, boolean request) {
    boolean begins =
        request
            ? chunk.matches("(?s)[A-Z]+ \\S+ HTTP/1\\.[01]\r\n.*")
            : chunk.startsWith("HTTP/1.");
    if (!begins) {
      return null;
    }
    int end = chunk.indexOf("\r\n\r\n");
    String head = (end < 0 ? chunk : chunk.substring(0, end)).toLowerCase(java.util.Locale.ROOT);
    String header = request ? "accept" : "content-type";
    return head.matches("(?s).*\r\n" + header + ":[^\r\n]*text/event-stream.*");
  }

  private boolean quiet(Socket from, Socket to) {
    return silent || silenced.contains(from) || silenced.contains(to);
  }

  private void loseAnswer(Socket upstream, Socket client) {
    Thread loser =
        new Thread(
            () -> {
              try {
                upstream.getInputStream().read();
              } catch (IOException e) {
                // closed: the answer is lost all the same
              } finally {
                closeQuietly(client);
                closeQuietly(upstream);
                open.remove(client);
                open.remove(upstream);
              }
            },
            "tcp-proxy-lose-" + port);
    loser.setDaemon(true);
    loser.start();
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      if (closeable != null) {
        closeable.close();
      }
    } catch (Exception e) {
      // already closed
    }
  }
}
