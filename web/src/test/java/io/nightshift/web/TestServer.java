package io.nightshift.web;

import io.nightshift.scheduler.TempFolders;
import io.nightshift.scheduler.store.DatabaseSettings;
import io.nightshift.scheduler.store.TestDatabases;
import io.nightshift.web.config.Config;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** A real Nightshift on a free loopback port, and a real HTTP client to talk to it. */
public final class TestServer implements AutoCloseable {
  public static final String ADMIN_TOKEN = "test-admin-token-0123456789";

  /**
   * The secrets key of the test nodes on MySQL (one for all: nodes sharing a store share it); on
   * the embedded store each node generates its own key file, as an operator's would.
   */
  public static final String SECRETS_KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

  private final Nightshift nightshift;
  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** The data directory this server made itself and deletes when closed (null: a test's own). */
  private Path ownDataDir;

  private TestServer(Nightshift nightshift) {
    this.nightshift = nightshift;
  }

  public enum Store {
    H2,
    MYSQL
  }

  public static TestServer start(Store store) {
    return start(store, null);
  }

  /** A node on a data directory of its own, deleted when the server is closed. */
  public static TestServer start(Store store, String redisUrl) {
    Path dataDir = tempDir();
    try {
      DatabaseSettings db =
          store == Store.H2 ? TestDatabases.h2Settings(dataDir) : TestDatabases.cleanMysql();
      TestServer server = start(config(dataDir, db, redisUrl));
      server.ownDataDir = dataDir;
      return server;
    } catch (RuntimeException | Error e) {
      TempFolders.delete(dataDir);
      throw e;
    }
  }

  /**
   * A node on {@code config}: its data directory is the caller's to delete. Its default work
   * directory root (which the node removes itself at close when its runs left nothing in it) is
   * deleted at the latest when the test JVM exits; a test may restart the node on it until then.
   */
  public static TestServer start(Config config) {
    return start(config, Clock.systemUTC());
  }

  /** A node on {@code config} whose own clock is {@code clock} (one set wrong, say). */
  public static TestServer start(Config config, Clock clock) {
    if (config.node() != null) {
      NodeCgroups.removeAtExit(config.localName());
    }
    if (config.executor().workDir() == null && config.node() != null) {
      TempFolders.deleteAtExit(config.executor().workDirOf(config.localName()));
    }
    return new TestServer(Nightshift.start(config, clock));
  }

  public static Config config(Path dataDir, DatabaseSettings db, String redisUrl) {
    Config config =
        Config.of(
            "test-node-" + java.util.UUID.randomUUID().toString().substring(0, 8),
            dataDir,
            new Config.Http("127.0.0.1", 0, 64 * 1024),
            db,
            new Config.Redis(redisUrl),
            new Config.Auth(ADMIN_TOKEN, false),
            new Config.Runs(60, 1_000_000, 16_384, 2),
            new Config.Logs(2_000_000, 30));
    return db.embedded()
        ? config
        : config.withSecrets(new Config.Secrets(SECRETS_KEY, null, java.util.List.of()));
  }

  static Path tempDir() {
    return TempFolders.create("nightshift-test-");
  }

  public Nightshift nightshift() {
    return nightshift;
  }

  public int port() {
    return nightshift.port();
  }

  public Answer get(String path, String token) {
    return send("GET", path, token, null);
  }

  public Answer post(String path, String token, String body) {
    return send("POST", path, token, body);
  }

  public Answer put(String path, String token, String body) {
    return send("PUT", path, token, body);
  }

  public Answer delete(String path, String token) {
    return send("DELETE", path, token, null);
  }

  public Answer send(String method, String path, String token, String body) {
    return send(method, path, token, body, "application/json");
  }

  /** Sends {@code body} declared as {@code contentType} (null: no Content-Type header). */
  public Answer send(String method, String path, String token, String body, String contentType) {
    return send(method, path, token, body, contentType, java.util.Map.of());
  }

  /** Posts a JSON {@code body} (or none) with these request headers. */
  public Answer post(
      String path, String token, String body, java.util.Map<String, String> headers) {
    return send("POST", path, token, body, "application/json", headers);
  }

  private Answer send(
      String method,
      String path,
      String token,
      String body,
      String contentType,
      java.util.Map<String, String> headers) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
            .timeout(Duration.ofSeconds(30))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (body != null && contentType != null) {
      request.header("Content-Type", contentType);
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    headers.forEach(request::header);
    try {
      HttpResponse<String> response =
          client.send(request.build(), HttpResponse.BodyHandlers.ofString());
      ApiContract.get().check(response);
      return new Answer(response.statusCode(), response.body(), response);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Creates a token with these roles through the API and returns its secret. */
  public String token(String name, String... roles) {
    Answer created =
        post(
            "/api/v1/tokens",
            ADMIN_TOKEN,
            new JsonObject()
                .put("name", name)
                .put("roles", new JsonArray(java.util.List.of(roles)))
                .encode());
    if (created.status() != 201) {
      throw new IllegalStateException("cannot create token " + name + ": " + created);
    }
    return created.json().getString("token");
  }

  @Override
  public void close() {
    try {
      nightshift.close();
    } finally {
      if (ownDataDir != null) {
        TempFolders.delete(ownDataDir);
      }
    }
  }

  /** An HTTP answer. */
  public record Answer(int status, String body, HttpResponse<String> response) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public String errorMessage() {
      return json().getJsonObject("error").getString("message");
    }

    public String errorCode() {
      return json().getJsonObject("error").getString("code");
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }
}
