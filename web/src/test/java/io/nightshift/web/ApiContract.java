package io.nightshift.web;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import io.vertx.json.schema.Validator;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The OpenAPI document ({@code web/src/main/resources/api/openapi.yaml}) as the tests' judge: every
 * answer the shared HTTP helpers receive is checked against it (status, content type, body), so an
 * answer that drifts from the document fails the test that received it.
 */
public final class ApiContract {
  private static final String BASE = "https://nightshift.invalid/openapi.yaml";
  private static volatile ApiContract instance;

  private final Vertx vertx;
  private final OpenAPIContract contract;
  private final ResponseValidator responses;
  private final SchemaRepository schemas;
  private final JsonObject raw;
  private final Map<String, Validator> eventValidators = new ConcurrentHashMap<>();

  /**
   * JSON answers already found to match, by operation, status and a digest of the body: a test that
   * polls gets the same answer many times, and validating it again would find the same. The schema
   * validator was a tenth of the web tests' CPU before answers were remembered.
   */
  private final Set<String> valid = ConcurrentHashMap.newKeySet();

  private static final int MOST_REMEMBERED = 200_000;

  private ApiContract(Vertx vertx, JsonObject raw) {
    this.vertx = vertx;
    this.raw = raw;
    this.contract = OpenAPIContract.from(vertx, forValidator(raw.copy())).await();
    this.responses = ResponseValidator.create(vertx, contract);
    this.schemas =
        SchemaRepository.create(
            new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri(BASE));
    schemas.dereference(BASE, JsonSchema.of(raw.copy()));
  }

  /**
   * vertx-openapi builds validators for JSON and plain text only; the document also lists YAML
   * bodies, the YAML document itself and the event stream. Those are checked here by content type
   * (against the document as written), so the validator gets them as text.
   */
  private static JsonObject forValidator(Object node) {
    if (node instanceof JsonObject json) {
      for (String key : java.util.List.copyOf(json.fieldNames())) {
        Object value = json.getValue(key);
        if (key.equals("content") && value instanceof JsonObject content) {
          for (String type : java.util.List.copyOf(content.fieldNames())) {
            if (!type.startsWith("application/json") && !type.startsWith("text/plain")) {
              Object media = content.remove(type);
              if (content.isEmpty()) {
                content.put("text/plain", media);
              }
            }
          }
        }
        forValidator(value);
      }
      return json;
    }
    if (node instanceof io.vertx.core.json.JsonArray array) {
      array.forEach(ApiContract::forValidator);
    }
    return null;
  }

  /** The media types the document (as written) lists for an answer. */
  private Set<String> mediaTypes(Operation operation, int status) {
    JsonObject response =
        raw.getJsonObject("paths")
            .getJsonObject(operation.getOpenAPIPath())
            .getJsonObject(operation.getHttpMethod().name().toLowerCase(Locale.ROOT))
            .getJsonObject("responses")
            .getJsonObject(String.valueOf(status));
    String ref = response.getString("$ref");
    if (ref != null) {
      response =
          raw.getJsonObject("components")
              .getJsonObject("responses")
              .getJsonObject(ref.substring(ref.lastIndexOf('/') + 1));
    }
    JsonObject content = response.getJsonObject("content");
    return content == null ? Set.of() : content.fieldNames();
  }

  /** The document, loaded and validated as OpenAPI 3.1 once per test JVM. */
  public static ApiContract get() {
    ApiContract current = instance;
    if (current == null) {
      synchronized (ApiContract.class) {
        current = instance;
        if (current == null) {
          current = new ApiContract(Vertx.vertx(), document());
          instance = current;
        }
      }
    }
    return current;
  }

  /** The document as JSON, read with SnakeYAML from the classpath (the file the server serves). */
  public static JsonObject document() {
    try (InputStream in =
        ApiContract.class.getClassLoader().getResourceAsStream("api/openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("api/openapi.yaml is not on the classpath");
      }
      Map<String, Object> map = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
      return new JsonObject(map);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public OpenAPIContract contract() {
    return contract;
  }

  /** Every operation of the document as {@code "GET /api/v1/runs/{id}"}. */
  public Set<String> operations() {
    Set<String> out = new LinkedHashSet<>();
    contract
        .operations()
        .forEach(o -> out.add(o.getHttpMethod().name() + " " + o.getOpenAPIPath()));
    return out;
  }

  /** {@link #check} for an answer of the JDK's HTTP client. */
  public void check(java.net.http.HttpResponse<String> response) {
    java.net.URI uri = response.request().uri();
    check(
        response.request().method(),
        uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()),
        response.statusCode(),
        response.headers().firstValue("Content-Type").orElse(null),
        response.body());
  }

  /**
   * Fails (AssertionError) unless the document has this answer: the operation, the status for it,
   * the content type and, for JSON, a body matching the schema.
   */
  public void check(
      String method, String pathAndQuery, int status, String contentType, String body) {
    String path = pathAndQuery.split("\\?", 2)[0];
    String where = method + " " + pathAndQuery + " -> " + status;
    Operation operation = contract.findOperation(path, HttpMethod.valueOf(method));
    if (operation == null && !path.startsWith("/api/v1/")) {
      return; // pages (the console, the reference page), not API operations
    }
    if (operation == null) {
      // Paths the API does not have: the router's 404/405 in the error envelope (401 first
      // without a valid token: the API does not tell strangers which paths exist).
      if (status != 404 && status != 405 && status != 401) {
        throw new AssertionError(where + ": the OpenAPI document has no such operation");
      }
      checkSchema(where, "Error", new JsonObject(body));
      return;
    }
    if (operation.getResponse(status) == null) {
      throw new AssertionError(
          where
              + ": the OpenAPI document lists no status "
              + status
              + " for "
              + operation.getOperationId());
    }
    String mediaType =
        contentType == null ? null : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    boolean hasBody = body != null && !body.isEmpty();
    if (!hasBody) {
      if (!mediaTypes(operation, status).isEmpty()) {
        throw new AssertionError(where + ": the document says the answer has a body; it had none");
      }
      return;
    }
    if (mediaType == null || !mediaTypes(operation, status).contains(mediaType)) {
      throw new AssertionError(
          where
              + ": content type "
              + contentType
              + " is not one the document lists: "
              + mediaTypes(operation, status));
    }
    if (!mediaType.equals("application/json")) {
      return;
    }
    String seen = operation.getOperationId() + " " + status + " " + digest(body);
    if (valid.contains(seen)) {
      return;
    }
    try {
      responses
          .validate(
              ValidatableResponse.create(status, Buffer.buffer(body), mediaType),
              operation.getOperationId())
          .await();
      if (valid.size() < MOST_REMEMBERED) {
        valid.add(seen);
      }
    } catch (Exception e) {
      throw new AssertionError(
          where
              + ": the answer does not match the OpenAPI document: "
              + describe(e)
              + "\n  body: "
              + abbreviate(body),
          e);
    }
  }

  /**
   * For a stream's head (its body is read event by event): the operation lists this status and
   * content type.
   */
  public void checkStreamHead(String pathAndQuery, int status, String contentType) {
    String path = pathAndQuery.split("\\?", 2)[0];
    Operation operation = contract.findOperation(path, HttpMethod.GET);
    String where = "GET " + pathAndQuery + " -> " + status;
    if (operation == null || operation.getResponse(status) == null) {
      throw new AssertionError(where + ": the OpenAPI document has no such answer");
    }
    String mediaType =
        contentType == null ? null : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!mediaTypes(operation, status).contains(mediaType)) {
      throw new AssertionError(where + ": content type " + contentType + " is not in the document");
    }
  }

  /** Fails unless an SSE event's data matches the schema the document gives for its type. */
  public void checkEvent(String type, String data) {
    JsonObject events =
        raw.getJsonObject("paths")
            .getJsonObject("/api/v1/runs/{id}/logs/stream")
            .getJsonObject("get")
            .getJsonObject("x-sse-events");
    if (!events.containsKey(type)) {
      throw new AssertionError(
          "SSE event "
              + type
              + ": the OpenAPI document lists no such event: "
              + events.fieldNames());
    }
    String ref = events.getJsonObject(type).getString("$ref");
    checkSchema("SSE event " + type, ref.substring(ref.lastIndexOf('/') + 1), new JsonObject(data));
  }

  /** Validates a value against {@code #/components/schemas/NAME}. */
  public void checkSchema(String where, String name, Object value) {
    Validator validator =
        eventValidators.computeIfAbsent(
            name,
            n ->
                schemas.validator(
                    JsonSchema.of(new JsonObject().put("$ref", BASE + "#/components/schemas/" + n)),
                    new JsonSchemaOptions().setDraft(Draft.DRAFT202012).setBaseUri(BASE)));
    OutputUnit result = validator.validate(value);
    if (!Boolean.TRUE.equals(result.getValid())) {
      throw new AssertionError(
          where
              + ": does not match schema "
              + name
              + ": "
              + result.toJson().encode()
              + "\n  value: "
              + abbreviate(String.valueOf(value)));
    }
  }

  private static String digest(String body) {
    try {
      byte[] hash =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(hash);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String describe(Throwable e) {
    StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
    if (e instanceof io.vertx.openapi.validation.SchemaValidationException s
        && s.getOutputUnit() != null) {
      out.append(" ").append(s.getOutputUnit().toJson().encode());
    }
    return out.toString();
  }

  private static String abbreviate(String text) {
    return text.length() > 2000 ? text.substring(0, 2000) + "..." : text;
  }

  Vertx vertx() {
    return vertx;
  }
}
