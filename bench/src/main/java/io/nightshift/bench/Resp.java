package io.nightshift.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal blocking Redis connection (RESP2) on a plain socket: enough for a few commands and a
 * fast SUBSCRIBE reader, without a second client library or an event loop competing with the
 * service under test.
 */
final class Resp implements AutoCloseable {
  /** An error reply. */
  record Error(String message) {}

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  private Resp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
    this.out = new BufferedOutputStream(socket.getOutputStream());
  }

  /** Connects to {@code redis://host:port[/db]} and selects the database. */
  static Resp connect(String url) throws IOException {
    URI uri = URI.create(url);
    Socket socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(
        new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort()), 5_000);
    Resp resp = new Resp(socket);
    int db = database(url);
    if (db != 0) {
      Object ok = resp.command("SELECT", String.valueOf(db));
      if (ok instanceof Error e) {
        resp.close();
        throw new IOException("SELECT " + db + ": " + e.message());
      }
    }
    return resp;
  }

  static int database(String url) {
    String path = URI.create(url).getPath();
    if (path == null || path.isEmpty() || path.equals("/")) {
      return 0;
    }
    return Integer.parseInt(path.substring(1));
  }

  Object command(String... args) throws IOException {
    send(args);
    return read();
  }

  void send(String... args) throws IOException {
    StringBuilder b = new StringBuilder().append('*').append(args.length).append("\r\n");
    for (String a : args) {
      byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
      b.append('$').append(bytes.length).append("\r\n").append(a).append("\r\n");
    }
    out.write(b.toString().getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** One reply: String (simple or bulk; null for nil), Long, List, or {@link Error}. */
  Object read() throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new EOFException("redis closed the connection");
    }
    String head = line();
    switch (type) {
      case '+':
        return head;
      case '-':
        return new Error(head);
      case ':':
        return Long.parseLong(head);
      case '$':
        {
          int len = Integer.parseInt(head);
          if (len < 0) {
            return null;
          }
          byte[] data = in.readNBytes(len);
          if (data.length < len) {
            throw new EOFException("redis closed the connection");
          }
          line(); // CRLF
          return new String(data, StandardCharsets.UTF_8);
        }
      case '*':
        {
          int n = Integer.parseInt(head);
          if (n < 0) {
            return null;
          }
          List<Object> items = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            items.add(read());
          }
          return items;
        }
      default:
        throw new IOException("unexpected RESP type '" + (char) type + "'");
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(16);
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\r') {
        in.read(); // '\n'
        return b.toString(StandardCharsets.UTF_8);
      }
      b.write(c);
    }
    throw new EOFException("redis closed the connection");
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
